"""Customer-service tickets opened on one day and their whole event log (service/events).

A ticket is a fixed template of event slots (created, customer message, bot greeting, first
agent reply, follow-ups, solved, csat, reopen, ...), each present or not per ticket; times are
cumulative delays. Events land in the batch of their local date.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import params as P
from simulator.calendar import HOUR_MS, MINUTE_MS
from simulator.util import idstr, names_of, pick_named
from simulator.world import World

_S = 1000


def _exp_ms(rng, n, mean_s):
    return (rng.exponential(mean_s, n) * _S).astype(np.int64) + _S


def agent_speeds(n_agents: int, rng: np.random.Generator) -> np.ndarray:
    """Each agent's first-response factor (1 = the team's usual pace; index 0 unused): lognormal
    around 1, agent 1 planted slow and agent 2 planted fast (when the team has them)."""
    speed = np.exp(rng.normal(0, P.AGENT_SPEED_SIGMA, n_agents + 1))
    speed = speed / np.median(speed[1:])
    if n_agents >= 2:
        speed[1], speed[2] = P.SLOW_AGENT_FACTOR, P.FAST_AGENT_FACTOR
    return speed


def agent_id(i: int) -> str:
    return f"agent-{i:03d}"


def tickets_for_day(world: World, d: int, orders: dict, sessions, rng: np.random.Generator) -> pl.DataFrame:
    """service/events rows of the tickets created from day d's orders, refund requests and
    sessions (typed, event_ts in ms, with `_batch`)."""
    cal = world.cal
    # 1. tickets about the day's orders
    n_o = len(orders["created"])
    pick_o = np.flatnonzero(rng.random(n_o) < P.P_TICKET_ORDER)
    cat_o = pick_named(rng, P.ORDER_TICKET_CATEGORIES, len(pick_o))
    cats = names_of(P.ORDER_TICKET_CATEGORIES)
    failed = orders["failed_payment"][pick_o]
    cat_o = np.where(failed & (rng.random(len(pick_o)) < 0.6), cats.index("payment"), cat_o)
    created_o = orders["created"][pick_o]
    delay = (
        np.select(
            [cat_o == cats.index("order_status"), cat_o == cats.index("shipping"), cat_o == cats.index("payment")],
            [
                rng.integers(2 * 3600, 72 * 3600, len(pick_o)),
                rng.integers(2 * 86400, 7 * 86400, len(pick_o)),
                rng.integers(60, 1200, len(pick_o)),
            ],
            rng.integers(600, 2 * 86400, len(pick_o)),
        )
        * _S
    )
    after_delivery = (
        np.isin(cat_o, [cats.index("product_quality"), cats.index("complaint")]) & orders["shipped"][pick_o]
    )
    t_o = np.where(
        after_delivery,
        orders["delivered_ts"][pick_o] + rng.integers(2 * 3600, 3 * 86400, len(pick_o)) * _S,
        created_o + delay,
    )
    cat_names_o = np.array(cats, dtype=object)[cat_o]
    # 1b. late parcels: a shipping ticket the day after the promised date
    late = orders.get("late", np.zeros(n_o, bool))
    pick_l = np.flatnonzero(late & (rng.random(n_o) < P.P_LATE_TICKET) & ~np.isin(np.arange(n_o), pick_o))
    t_l = orders["promised_ts"][pick_l] + rng.integers(9 * 3600, 30 * 3600, len(pick_l)) * _S
    # 2. tickets about refund requests
    k = len(orders["refund_order"])
    pick_r = np.flatnonzero(rng.random(k) < P.P_TICKET_REFUND)
    ro = orders["refund_order"][pick_r]
    t_r = orders["refund_requested"][pick_r] + rng.integers(0, 3 * 3600, len(pick_r)) * _S
    # 3. pre-sale questions from browsing sessions
    nb = np.flatnonzero(~sessions.bounced)
    pick_s = nb[rng.random(len(nb)) < P.P_TICKET_PRESALE]
    first_ev = np.cumsum(sessions.counts.sum(axis=1)) - sessions.counts.sum(axis=1)
    t_s = sessions.ev_ts[first_ev[pick_s]] + rng.integers(60, 600, len(pick_s)) * _S
    cat_s = np.array(names_of(P.PRESALE_TICKET_CATEGORIES), dtype=object)[
        pick_named(rng, P.PRESALE_TICKET_CATEGORIES, len(pick_s))
    ]

    people = world.people
    customer = np.concatenate(
        [orders["customer"][pick_o], orders["customer"][pick_l], orders["customer"][ro], sessions.customer[pick_s]]
    )
    order_id = pl.concat(
        [
            orders["order_id"].gather(pick_o),
            orders["order_id"].gather(pick_l),
            orders["order_id"].gather(ro),
            pl.Series([None] * len(pick_s), dtype=pl.String),
        ]
    )
    created = np.concatenate([t_o, t_l, t_r, t_s]).astype(np.int64)
    category = np.concatenate(
        [
            cat_names_o,
            np.full(len(pick_l), "shipping", dtype=object),
            np.full(len(pick_r), "return_refund", dtype=object),
            cat_s,
        ]
    )
    n = len(created)
    if n == 0:
        return None
    created -= created % _S
    channel = np.array(names_of(P.TICKET_CHANNELS), dtype=object)[pick_named(rng, P.TICKET_CHANNELS, n)]
    prio_names = names_of(P.PRIORITY_MIX)
    prio = pick_named(rng, P.PRIORITY_MIX, n)
    prio = np.where((category == "complaint") & (rng.random(n) < 0.6), prio_names.index("high"), prio)
    prio = np.where((category == "payment") & (rng.random(n) < 0.3), prio_names.index("urgent"), prio)
    priority = np.array(prio_names, dtype=object)[prio]
    agent = rng.integers(1, world.scale.agents + 1, n)

    # first agent reply: lognormal around the priority's median, held until 9:00 for night tickets
    median_min = np.array([P.FIRST_RESPONSE_MEDIAN_MIN[p] for p in prio_names])[prio]
    speed = getattr(world, "agent_speed", None)
    factor = speed[agent] if speed is not None else 1.0
    first_resp = (median_min * factor * np.exp(rng.normal(0, P.FIRST_RESPONSE_SIGMA, n)) * MINUTE_MS).astype(np.int64)
    hour = cal.hour_of(created)
    night = (hour < 8) & (prio <= prio_names.index("normal"))
    first_resp += np.where(night, (9 - hour) * HOUR_MS, 0)
    first_resp = np.maximum(first_resp, 30 * _S)
    breached = first_resp > np.array([P.SLA_MIN[p] for p in prio_names])[prio] * MINUTE_MS
    answered = rng.random(n) >= P.P_NEVER_ANSWERED
    r = rng.random((n, 8))
    is_chat = channel == "chat"
    bot = is_chat & (r[:, 7] < P.P_BOT)
    # the bot solves some simple chats alone: no agent ever writes, the ticket is solved
    contained = bot & np.isin(category, P.BOT_CATEGORIES) & (rng.random(n) < P.P_BOT_CONTAINED)
    never_answered = ~answered & ~contained
    answered &= ~contained
    follow = answered & (r[:, 0] < P.P_FOLLOW_UP)
    solved = (answered & (r[:, 1] < P.P_SOLVED)) | contained
    rated = solved & (r[:, 2] < P.P_CSAT)
    reopened = solved & ~contained & (r[:, 3] < P.P_REOPEN)
    closed = solved & (r[:, 4] < P.P_CLOSE)
    rerated = reopened & rated & (r[:, 5] < 0.5)

    t_msg = created + np.where(channel == "email", _S, rng.integers(5, 60, n) * _S)
    t_bot = created + rng.integers(2, 10, n) * _S
    t_agent = created + first_resp
    t_pending = t_agent + _S
    t_cmsg2 = t_agent + _exp_ms(rng, n, 1800)
    t_agent2 = t_cmsg2 + _exp_ms(rng, n, 1200)
    t_solved = np.where(follow, t_agent2, t_pending) + _exp_ms(rng, n, 3600)
    t_solved = np.where(contained, np.maximum(t_bot, t_msg) + _exp_ms(rng, n, 120), t_solved)
    t_csat = t_solved + _exp_ms(rng, n, 7200)
    t_reopen = np.maximum(t_solved, np.where(rated, t_csat, t_solved)) + _exp_ms(rng, n, 86400)
    t_cmsg3 = t_reopen + 60 * _S
    t_agent3 = t_cmsg3 + _exp_ms(rng, n, 3600)
    t_solved2 = t_agent3 + _exp_ms(rng, n, 7200)
    t_csat2 = t_solved2 + _exp_ms(rng, n, 7200)
    t_closed = np.where(reopened, t_solved2, t_solved) + 72 * HOUR_MS
    score = np.where(breached[:, None], np.array(P.CSAT_BREACHED)[None, :], np.array(P.CSAT_OK)[None, :])
    csat1 = 1 + (np.cumsum(score, axis=1) < r[:, 6:7]).sum(axis=1)
    csat2 = np.minimum(5, np.maximum(1, csat1 + rng.integers(-1, 2, n)))

    slots = [  # (event_type, present, ts, new_status, csat, by agent)
        ("ticket_created", np.ones(n, bool), created, None, None, False),
        ("customer_message", np.ones(n, bool), t_msg, None, None, False),
        ("bot_message", bot, t_bot, None, None, False),
        ("agent_message", answered, t_agent, None, None, True),
        ("status_changed", answered, t_pending, "pending", None, True),
        ("customer_message", follow, t_cmsg2, None, None, False),
        ("agent_message", follow, t_agent2, None, None, True),
        ("ticket_solved", solved, t_solved, None, None, ~contained),
        ("status_changed", solved, t_solved, "solved", None, ~contained),
        ("csat_rated", rated, t_csat, None, csat1, False),
        ("ticket_reopened", reopened, t_reopen, None, None, False),
        ("status_changed", reopened, t_reopen, "open", None, False),
        ("customer_message", reopened, t_cmsg3, None, None, False),
        ("agent_message", reopened, t_agent3, None, None, True),
        ("ticket_solved", reopened, t_solved2, None, None, True),
        ("status_changed", reopened, t_solved2, "solved", None, True),
        ("csat_rated", rerated, t_csat2, None, csat2, False),
        ("status_changed", closed, t_closed, "closed", None, False),
    ]
    ticket_no = world.next_ids("ticket", n) + 300_000
    parts = []
    for j, (etype, present, ts, new_status, csat, by_agent) in enumerate(slots):
        idx = np.flatnonzero(present)
        parts.append(
            pl.DataFrame(
                {
                    "_t": idx,
                    "_slot": np.full(len(idx), j),
                    "event_ts": ts[idx],
                    "event_type": [etype] * len(idx),
                    "new_status": pl.Series([new_status] * len(idx), dtype=pl.String),
                    "csat_score": pl.Series(csat[idx] if csat is not None else [None] * len(idx), dtype=pl.Int64),
                    "_agent": by_agent[idx] if isinstance(by_agent, np.ndarray) else np.full(len(idx), by_agent),
                }
            )
        )
    ev = pl.concat(parts).sort("_t", "_slot")
    t = ev["_t"].to_numpy()
    first = ev["_slot"].to_numpy() == 0
    ev = ev.with_columns(
        event_id=idstr("v", world.next_ids("service_event", len(ev)) + 10_000_000, 9),
        ticket_id=idstr("T", ticket_no[t], 7),
        channel=pl.Series(channel[t].tolist(), dtype=pl.String).zip_with(
            pl.Series(first), pl.Series([None] * len(t), dtype=pl.String)
        ),
        category=pl.Series(category[t].tolist(), dtype=pl.String).zip_with(
            pl.Series(first), pl.Series([None] * len(t), dtype=pl.String)
        ),
        priority=pl.Series(priority[t].tolist(), dtype=pl.String).zip_with(
            pl.Series(first), pl.Series([None] * len(t), dtype=pl.String)
        ),
        customer_id=pl.when(pl.Series(customer[t] >= 0)).then(pl.lit(people.customer_ids(np.maximum(customer[t], 0)))),
        order_id=order_id.gather(t),
        agent_id=pl.when("_agent").then(pl.lit(idstr("agent-", agent[t], 3))),
        _batch=pl.Series(cal.day_of(ev["event_ts"].to_numpy())),
        _never_answered=pl.Series(never_answered[t]),
        _contained=pl.Series(contained[t]),
        _customer=pl.Series(customer[t]),
        _category=pl.Series(category[t].tolist(), dtype=pl.String),
    )
    return ev.drop("_t", "_slot", "_agent")
