"""service_daily, agent_daily and session_paths: the independent reference (tests/reference/service_paths.py)
against numbers worked out by hand on the `service_paths_shop` fixture, then the real pipeline
against the reference on that fixture and on the simulated shop.

The fixture (tests/fixtures/service_paths_shop, batch days 2026-03-07 Sat .. 2026-03-16 Mon,
reporting zone Asia/Shanghai, all times below local) holds service and traffic events and four
orders (for pre-sale conversion); no service event comes after 03-10.

Tickets (SLA targets urgent 15, high 60, normal 240, low 1440 minutes). The as-of time is the
latest service event: T7's rating at 03-10 18:00.
  T1 03-07 10:00 chat/order_status normal: bot 10:01 (not a reply), agent 10:20 -> first response
     20; solved 11:00 -> resolution 60; 1 agent message -> one touch; rated 5. In time (20 <= 240).
     Its ticket_created is re-sent in the 03-08 batch (an exact duplicate, dropped).
  T2 03-07 12:00 chat/order_status urgent: bot 12:01, agent 12:30 -> 30 > 15 breached; agent
     12:45; solved 13:00 -> resolution 60; 2 agent messages; rated 4, re-rated 2 on 03-08 -> 2.
  T3 03-07 14:00 email/return_refund high: agent 14:45 -> 45 (in time); solved 15:00, rated 3,
     reopened 03-08 09:00, agent 09:30, solved again 03-08 10:00 -> resolution 20 h = 1200;
     solved with 2 agent messages (not one touch).
  T4 03-07 16:00 email/return_refund high: agent 17:00 -> exactly 60 = target, in time; solved
     17:30, reopened 03-08 08:00 and never solved again -> unsolved, resolution null.
  T5 created 2026-03-08T23:00Z = 03-09 07:00 local (local date 03-09), phone, no category, low:
     only a bot message. 35 h = 2100 min open at the as-of time > 1440 -> breached.
  T6 03-10 17:00, no channel, pre_sale, normal: unanswered, open 60 min < 240 -> not breached.
  T7 03-10 16:00 chat/pre_sale, no priority: agent 16:30 -> 30; solved 16:50 -> 50; rated 5 at
     18:00; no target -> not judged.
  T8 has an agent message but no ticket_created: not a ticket.
  Issue 17's tickets, all created 03-08:
  T10 09:00 chat/order_status normal: bot 09:01, solved 09:05, no agent -> bot-contained;
     resolution 5; no agent reply, 57 h open at the as-of time -> breached.
  T11 09:30 chat/order_status normal: bot 09:31, then handed to agent ag2 09:50 (20), solved
     10:00 (30) -> not contained; one touch.
  T12 11:00 chat/other low: bot only, solved 11:05, reopened 12:00, bot, solved again 12:10 ->
     latest state solved (resolution 70), contained. T13 13:00 chat/other low: bot only, solved
     13:05, reopened 14:00 for good -> not solved. Both unanswered past 1440 min -> breached.
  T14 10:00 email/pre_sale normal, customer c11: ag1 10:40 (40), rated 5 on 03-09. c11's paid
     order o11 is created 03-15 10:00, exactly 7 x 24 h later -> converted.
  T15 10:00 email/pre_sale, c12: ag1 10:20 (20), rated 2 on 03-09. c12's order inside the window
     (03-10) is cancelled; its paid order o12 comes on day 8 (03-16 09:00) -> not converted.
  T16 10:30 email/pre_sale without customer_id: ag2 10:50 (20) -> out of the denominator.
  T17 23:50 email/pre_sale, c13: first reply ag1 at 03-09 00:10 (20; the next local day), then
     ag2 00:30; c13's paid order on 03-09 12:00 -> converted.

Agents (agent_daily; each count on the local day of its own event): 03-07 ag1 T1, T3 (first
responses 20, 45; ratings of T1 5 and T3 3 that day), ag2 T2 (2 messages), T4 (first responses 30,
60; T2's latest rating is on 03-08). 03-08 ag1 T3 (reopened), T14, T15 (first 40, 20), ag2 T11,
T16 (first 20, 20) and T2's rating 2. 03-09 ag1 T17's first reply (20) and the ratings of T14 (5)
and T15 (2); ag2 T17's second message only. 03-10 ag2 T7 (30, rated 5). T8's message counts for
nobody.

Sessions (week A starts Mon 03-02, week B Mon 03-09):
  s1 03-07 home, home, category, product, add_to_cart (no page_type), product, cart, checkout,
     confirmation (purchase) -> collapsed home, category, product, cart, checkout, confirmation
     -> path 'home > category > product > cart > checkout', exit confirmation, purchased.
  s2 03-07 home, category, product, cart, checkout, product -> same path, exit product.
  s6 03-07 home and category at the same instant (e601 category < e602 home), product ->
     'category > home > product'.
  s7 03-07 home -> 'home'.
  s4 03-08 home, share (no page_type), home -> 'home' (repeats collapse across the skipped event).
  s5 03-08 one search event without page_type -> '(none)', exit '(none)'.
  s3 starts Sun 03-08 23:58 (search, product) and goes on after midnight (cart, confirmation):
     'search > product > cart > confirmation', week A, purchased.
  s8 03-09 home, category, product -> week B 'home > category > product'.
  s9 03-10 home, category, product, purchase without page_type -> same path, exit product,
     purchased.
  s10 03-10 live (its line sent twice), product, product -> 'live > product'.
"""

from __future__ import annotations

import json
import math
from datetime import date

import polars as pl
import pytest

from tests.reference.compare import TOLERANCE
from tests.reference.service_paths import (
    AGENT_COLUMNS,
    PATH_COLUMNS,
    SERVICE_COLUMNS,
    compute_agent_daily,
    compute_service_daily,
    compute_session_paths,
    session_path,
    ticket_metrics,
)
from tests.support.paths import FIXTURES
from tests.support.warehouse import new_settings, read_table, run_ok

SHOP = FIXTURES / "service_paths_shop"
SHOP_DAYS = (date(2026, 3, 7), date(2026, 3, 16))
D7, D8, D9, D10 = date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)
WEEK_A, WEEK_B = date(2026, 3, 2), date(2026, 3, 9)
SERVICE_KEYS = ["date", "channel", "category"]
AGENT_KEYS = ["date", "agent_id"]
PATH_KEYS = ["week_start", "path"]


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, (int, float)):
        return math.isclose(float(got), float(want), abs_tol=TOLERANCE)
    return got == want


def _differences(actual: pl.DataFrame, expected: pl.DataFrame, keys: list[str]) -> list[str]:
    assert tuple(actual.columns) == tuple(expected.columns), (actual.columns, expected.columns)
    got = {tuple(r[k] for k in keys): r for r in actual.iter_rows(named=True)}
    want = {tuple(r[k] for k in keys): r for r in expected.iter_rows(named=True)}
    problems = []
    if sorted(got) != sorted(want):
        problems.append(f"keys {sorted(got)} != expected {sorted(want)}")
    for key in sorted(set(got) & set(want)):
        for column in expected.columns:
            if not _same(got[key][column], want[key][column]):
                problems.append(f"{key} {column}: got {got[key][column]!r}, expected {want[key][column]!r}")
    return problems


def _frame(rows: list[tuple], columns: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=list(columns), orient="row")


# --------------------------------------------------------------------------- hand-worked numbers

# (date, channel, category, tickets, first_response p50, p90, resolution p50, sla_breach_rate,
#  csat, csat_avg, reopen_rate, one_touch_rate, bot_containment_rate, presale_conversion_rate,
#  rated_tickets, satisfied_tickets, solved_tickets, bot_contained_tickets, presale_tickets,
#  presale_converted_tickets)
HAND_SERVICE_DAILY = [
    # T1, T2: first responses 20, 30 -> p50 25, p90 20 + 0.9 * 10 = 29; resolutions 60, 60; T2
    # breached -> 1 / 2; ratings 5 and 2 -> csat 1 / 2, avg 3.5; no reopen; solved T1 (one agent
    # message) and T2 (two) -> one touch 1 / 2; both had agents -> contained 0 / 2.
    (D7, "chat", "order_status", 2, 25.0, 29.0, 60.0, 0.5, 0.5, 3.5, 0.0, 0.5, 0.0, None, 2, 1, 2, 0, 0, 0),
    # T3, T4: first responses 45, 60 -> p50 52.5, p90 45 + 0.9 * 15 = 58.5; only T3 solved ->
    # resolution p50 1200; neither breached (60 = target is in time); T3 rated 3 -> csat 0,
    # avg 3; both reopened -> 1; solved T3 has two agent messages -> one touch 0 / 1.
    (D7, "email", "return_refund", 2, 52.5, 58.5, 1200.0, 0.0, 0.0, 3.0, 1.0, 0.0, 0.0, None, 1, 0, 1, 0, 0, 0),
    # T10, T11: first response only T11's 20; resolutions 5, 30 -> 17.5; T10 breached -> 1 / 2;
    # both solved, T11 one touch -> 1 / 2; T10 contained -> 1 / 2.
    (D8, "chat", "order_status", 2, 20.0, 20.0, 17.5, 0.5, None, None, 0.0, 0.5, 0.5, None, 0, 0, 2, 1, 0, 0),
    # T12, T13: no agent reply; only T12 solved (70); both breached and reopened; T12 solved
    # without agent message -> one touch 0 / 1, contained 1 / 1.
    (D8, "chat", "other", 2, None, None, 70.0, 1.0, None, None, 1.0, 0.0, 1.0, None, 0, 0, 1, 1, 0, 0),
    # T14..T17: first responses 40, 20, 20, 20 -> p50 20, p90 20 + 0.7 * 20 = 34; none solved;
    # none breached; ratings 5 and 2 -> csat 1 / 2; pre-sale with a customer T14, T15, T17, of
    # which T14 (day 7) and T17 converted -> 2 / 3.
    (D8, "email", "pre_sale", 4, 20.0, 34.0, None, 0.0, 0.5, 3.5, 0.0, None, None, 2 / 3, 2, 1, 0, 0, 3, 2),
    # T5: no reply, unsolved, unrated; breached at the as-of time -> 1 / 1.
    (D9, "phone", "unknown", 1, None, None, None, 1.0, None, None, 0.0, None, None, None, 0, 0, 0, 0, 0, 0),
    # T7: reply 30, resolution 50, no priority -> sla not judged (null); rated 5; one touch 1 / 1;
    # no customer_id -> no pre-sale denominator.
    (D10, "chat", "pre_sale", 1, 30.0, 30.0, 50.0, None, 1.0, 5.0, 0.0, 1.0, 0.0, None, 1, 1, 1, 0, 0, 0),
    # T6: open 60 minutes of its 240 at the as-of time -> 0 / 1.
    (D10, "unknown", "pre_sale", 1, None, None, None, 0.0, None, None, 0.0, None, None, None, 0, 0, 0, 0, 0, 0),
]

# (date, agent_id, tickets_touched, messages, first_responses, first_response_p50_minutes, csat,
#  rated_tickets, satisfied_tickets)
HAND_AGENT_DAILY = [
    (D7, "ag1", 2, 2, 2, 32.5, 0.5, 2, 1),  # T1 20, T3 45; T1 rated 5, T3 rated 3
    (D7, "ag2", 2, 3, 2, 45.0, None, 0, 0),  # T2 30 (2 messages), T4 60
    (D8, "ag1", 3, 3, 2, 30.0, None, 0, 0),  # T3 again, T14 40, T15 20
    (D8, "ag2", 2, 2, 2, 20.0, 0.0, 1, 0),  # T11 20, T16 20; T2 re-rated 2 on 03-08
    (D9, "ag1", 1, 1, 1, 20.0, 0.5, 2, 1),  # T17's first reply after midnight; T14 5, T15 2
    (D9, "ag2", 1, 1, 0, None, None, 0, 0),  # T17's second message only
    (D10, "ag2", 1, 1, 1, 30.0, 1.0, 1, 1),  # T7
]

# (week_start, path, sessions, share, conversion_rate, top_exit_page, is_complete); week A has 7
# sessions, week B 3; both weeks end on or before the last batch day 03-16.
HAND_SESSION_PATHS = [
    (WEEK_A, "(none)", 1, 1 / 7, 0.0, "(none)", True),  # s5
    (WEEK_A, "category > home > product", 1, 1 / 7, 0.0, "product", True),  # s6
    (WEEK_A, "home", 2, 2 / 7, 0.0, "home", True),  # s4, s7
    # s1 (purchased, exit confirmation), s2 (exit product): exits tie 1 - 1, alphabetical wins
    (WEEK_A, "home > category > product > cart > checkout", 2, 2 / 7, 0.5, "confirmation", True),
    (WEEK_A, "search > product > cart > confirmation", 1, 1 / 7, 1.0, "confirmation", True),  # s3
    (WEEK_B, "home > category > product", 2, 2 / 3, 0.5, "product", True),  # s8, s9 (purchased)
    (WEEK_B, "live > product", 1, 1 / 3, 0.0, "product", True),  # s10
]


@pytest.mark.parametrize(
    ("pages", "path", "exit_page"),
    [
        (["home", "home", None, "home", "category"], "home > category", "category"),
        (
            ["home", "category", "product", "cart", "checkout", "confirmation"],
            "home > category > product > cart > checkout",
            "confirmation",
        ),
        # repeats are collapsed before the first 5 are taken
        (["home", "home", "home", "home", "home", "product"], "home > product", "product"),
        (["search", None], "search", "search"),
        ([None, None], "(none)", "(none)"),
    ],
)
def test_reference_session_path(pages, path, exit_page):
    assert session_path(pages) == (path, exit_page)


def test_reference_service_daily_hand_worked():
    got = compute_service_daily(SHOP)
    assert tuple(got.columns) == SERVICE_COLUMNS
    assert _differences(got, _frame(HAND_SERVICE_DAILY, SERVICE_COLUMNS), SERVICE_KEYS) == []


def test_reference_agent_daily_hand_worked():
    got = compute_agent_daily(SHOP)
    assert tuple(got.columns) == AGENT_COLUMNS
    assert _differences(got, _frame(HAND_AGENT_DAILY, AGENT_COLUMNS), AGENT_KEYS) == []


def test_reference_session_paths_hand_worked():
    got = compute_session_paths(SHOP)
    assert tuple(got.columns) == PATH_COLUMNS
    assert _differences(got, _frame(HAND_SESSION_PATHS, PATH_COLUMNS), PATH_KEYS) == []


# --------------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def service_paths_run(tmp_path_factory):
    """The fixture shop through the whole pipeline once (default settings)."""
    settings = new_settings(tmp_path_factory.mktemp("service_paths_home"), SHOP)
    run_ok(settings, *SHOP_DAYS)
    return settings


def _agents(settings) -> pl.DataFrame:
    return read_table(settings.serving_db, "SELECT * FROM marts.agent_daily ORDER BY date, agent_id")


def _marts(settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    service = read_table(settings.serving_db, "SELECT * FROM marts.service_daily ORDER BY date, channel, category")
    paths = read_table(settings.serving_db, "SELECT * FROM marts.session_paths ORDER BY week_start, path")
    return service, paths


def test_pipeline_matches_the_reference_on_the_fixture(service_paths_run):
    service, paths = _marts(service_paths_run)
    assert _differences(service, compute_service_daily(SHOP), SERVICE_KEYS) == []
    assert _differences(paths, compute_session_paths(SHOP), PATH_KEYS) == []
    # and so the hand-worked numbers, to the last digit of the rates
    assert _differences(service, _frame(HAND_SERVICE_DAILY, SERVICE_COLUMNS), SERVICE_KEYS) == []
    assert _differences(paths, _frame(HAND_SESSION_PATHS, PATH_COLUMNS), PATH_KEYS) == []
    agents = _agents(service_paths_run)
    assert _differences(agents, compute_agent_daily(SHOP), AGENT_KEYS) == []
    assert _differences(agents, _frame(HAND_AGENT_DAILY, AGENT_COLUMNS), AGENT_KEYS) == []


def test_pipeline_marts_reconcile_with_kpi_daily(service_paths_run):
    service, paths = _marts(service_paths_run)
    kpi = read_table(service_paths_run.serving_db, "SELECT date, sessions, tickets FROM marts.kpi_daily ORDER BY date")
    # tickets 4, 8, 1, 2 on 03-07 .. 03-10, none on the order days up to 03-16; sessions 4, 3
    # (week A: 7), 1, 2 (week B: 3)
    assert kpi["tickets"].to_list() == [4, 8, 1, 2] + [0] * 6
    by_day = dict(service.group_by("date").agg(pl.col("tickets").sum()).iter_rows())
    assert {d: t for d, t in kpi.select("date", "tickets").iter_rows() if t} == by_day
    assert dict(paths.group_by("week_start").agg(pl.col("sessions").sum()).iter_rows()) == {WEEK_A: 7, WEEK_B: 3}


def test_pipeline_matches_the_reference_on_the_simulated_shop(simulated_shop):
    service, paths = _marts(simulated_shop)
    expected_service = compute_service_daily(simulated_shop.landing)
    expected_paths = compute_session_paths(simulated_shop.landing)
    # the comparison means something only if the shop has tickets of every kind and many paths
    truths = json.loads((simulated_shop.landing / "_simulation.json").read_text())["truths"]["service"]
    assert expected_service["tickets"].sum() == truths["tickets"] > 0
    assert expected_service["sla_breach_rate"].drop_nulls().max() > 0
    assert expected_paths.height > 100 and expected_paths["week_start"].n_unique() >= 3
    assert _differences(service, expected_service, SERVICE_KEYS) == []
    assert _differences(paths, expected_paths, PATH_KEYS) == []
    # agents: the simulator's agents answer many tickets; every first response is someone's
    expected_agents = compute_agent_daily(simulated_shop.landing)
    assert expected_agents["agent_id"].n_unique() > 1
    answered = ticket_metrics(simulated_shop.landing).filter(pl.col("first_response").is_not_null()).height
    assert expected_agents["first_responses"].sum() == answered > 0
    assert expected_service["presale_tickets"].sum() > 0
    assert _differences(_agents(simulated_shop), expected_agents, AGENT_KEYS) == []


def test_bot_containment_rate_through_the_semantic_layer_equals_service_daily(service_paths_run, tmp_path):
    """MetricFlow's bot_containment_rate by day and channel is Σ bot_contained_tickets / Σ
    solved_tickets of service_daily's rows (on the fixture: 0 on 03-07, 2 of 3 solved chat tickets on 03-08)."""
    from tests.integration.test_semantic_layer import _metric_frames

    got = _metric_frames(
        service_paths_run,
        tmp_path,
        {
            "channel": {
                "metrics": ["bot_containment_rate", "bot_contained_tickets", "solved_tickets"],
                "group_by": ["metric_time__day", "ticket__channel"],
            }
        },
    )["channel"].rename({"metric_time__day": "date", "ticket__channel": "channel"})
    service, _ = _marts(service_paths_run)
    want = (
        service.group_by("date", "channel")
        .agg(pl.col("bot_contained_tickets").sum(), pl.col("solved_tickets").sum())
        .filter(pl.col("solved_tickets") > 0)
        .with_columns((pl.col("bot_contained_tickets") / pl.col("solved_tickets")).alias("bot_containment_rate"))
    )
    got = got.filter(pl.col("solved_tickets") > 0).with_columns(pl.col("channel").fill_null("unknown"))
    assert {(r["date"], r["channel"]): r["bot_containment_rate"] for r in got.iter_rows(named=True)} == pytest.approx(
        {(r["date"], r["channel"]): r["bot_containment_rate"] for r in want.iter_rows(named=True)}
    )
    assert want.filter((pl.col("date") == D8) & (pl.col("channel") == "chat"))["bot_containment_rate"].item() == 2 / 3
