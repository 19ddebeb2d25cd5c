"""Reference `service_daily`, `agent_daily` and `session_paths`: an independent computation from the landing files.

Plain polars and plain Python, no DuckDB, no SQL, nothing imported from the pipeline (the SLA
targets are kpis.md's numbers, not the dbt seed). The landing files are read with the readers of
`reference.kpi_daily` (same typing and event dedupe: the first arrival of an `event_id` wins); this
module only asks them for a few more fields. It follows `../shared/spec/kpis.md` ("Customer
service", "Access paths") and the choices documented in the marts' YAML and docs/design.md:

service_daily
- a ticket exists once its `ticket_created` has arrived (the earliest by event_ts, then
  event_id); its local date, channel, category and priority come from it; a missing channel or
  category is 'unknown';
- first response = first `agent_message` − ticket_created (bots never count); resolution = last
  `ticket_solved` − ticket_created, only while solved (solved at least once and not reopened
  after the last solve); minutes, exact;
- SLA: as-of time = the latest event_ts of every service event; breached = first response >
  target, or no agent reply and (as-of − created) > target; no target (no priority) = not judged;
- csat: latest `csat_rated` by event_ts (ties by event_id); csat = share of 4 or 5, csat_avg = mean;
  rated_tickets and satisfied_tickets are its denominator and numerator;
- percentiles continuous (linear) over the tickets having the value; ratios null on a 0
  denominator; one row per (date, channel, category) with a ticket;
- bot containment: solved (latest state) with a `bot_message` and no `agent_message`, over solved;
- pre-sale conversion: `pre_sale` tickets with a customer_id whose customer has a paid order
  (latest version by updated_at: paid, shipped or delivered) created in (created, created + 168 h],
  over `pre_sale` tickets with a customer_id.

agent_daily
- only tickets with a ticket_created; an agent_message without agent_id is agent 'unknown';
- per (local day of the event, agent): distinct tickets and count of the agent's agent_messages;
  first responses by the local day and agent of the ticket's first agent_message (event_ts, then
  event_id), their continuous median first response; ratings (latest csat_rated) by its local
  day and the first reply's agent; tickets never answered by an agent belong to no agent.

session_paths
- session = events sharing `session_id`; first event = earliest event_ts, ties by event_id; week =
  Monday on or before the local date of the first event;
- path: page_types in (event_ts, event_id) order, events without page_type skipped, consecutive
  repeats collapsed, first 5 joined with ' > '; exit page = last page_type; '(none)' without any;
- share = sessions / sessions of the week; conversion = sessions with a `purchase` / sessions;
  top exit page = most frequent exit page, ties alphabetical; is_complete = the week's Sunday is
  on or before the last complete day (the latest batch day loaded).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from tests.reference import kpi_daily as kd

SERVICE_COLUMNS = (
    "date",
    "channel",
    "category",
    "tickets",
    "first_response_p50_minutes",
    "first_response_p90_minutes",
    "resolution_p50_minutes",
    "sla_breach_rate",
    "csat",
    "csat_avg",
    "reopen_rate",
    "one_touch_rate",
    "bot_containment_rate",
    "presale_conversion_rate",
    "rated_tickets",
    "satisfied_tickets",
    "solved_tickets",
    "bot_contained_tickets",
    "presale_tickets",
    "presale_converted_tickets",
)
SERVICE_COUNTS = (
    "tickets",
    "rated_tickets",
    "satisfied_tickets",
    "solved_tickets",
    "bot_contained_tickets",
    "presale_tickets",
    "presale_converted_tickets",
)
AGENT_COLUMNS = (
    "date",
    "agent_id",
    "tickets_touched",
    "messages",
    "first_responses",
    "first_response_p50_minutes",
    "csat",
    "rated_tickets",
    "satisfied_tickets",
)
AGENT_COUNTS = ("tickets_touched", "messages", "first_responses", "rated_tickets", "satisfied_tickets")
PRESALE_WINDOW = timedelta(hours=7 * 24)
PATH_COLUMNS = ("week_start", "path", "sessions", "share", "conversion_rate", "top_exit_page", "is_complete")

# kpis.md, "Customer service": first-response targets in minutes
SLA_TARGET_MINUTES = {"urgent": 15, "high": 60, "normal": 240, "low": 1440}
NO_PAGE = "(none)"
PATH_STEPS = 5

EXTRA_FIELDS = {
    ("service", "events"): {
        "channel": "string",
        "category": "string",
        "priority": "string",
        "customer_id": "string",
        "agent_id": "string",
    },
    ("traffic", "events"): {"page_type": "string"},
}


# What `_read` reads of each entity: reference.kpi_daily's fields plus EXTRA_FIELDS, built once.
FIELDS = kd.with_fields(EXTRA_FIELDS)


def _read_events(landing: Path, system: str) -> pl.DataFrame | None:
    events = kd.read_entity(Path(landing), system, "events", FIELDS)
    return None if events is None else kd._first(events, ["event_id"])


def _minutes(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later) - pl.col(earlier)).dt.total_microseconds() / 60_000_000


# --------------------------------------------------------------------------- service_daily


def ticket_metrics(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame | None:
    """One row per ticket with its measures (None without service events)."""
    events = _read_events(landing, "service")
    if events is None:
        return None
    as_of = events["event_ts"].max()
    created = (
        events.filter(pl.col("event_type") == "ticket_created")
        .sort("event_ts", "event_id")
        .unique(subset=["ticket_id"], keep="first", maintain_order=True)
        .select(
            "ticket_id",
            pl.col("event_ts").alias("created_at"),
            pl.col("event_ts").dt.convert_time_zone(tz).dt.date().alias("date"),
            pl.col("channel").fill_null("unknown"),
            pl.col("category").fill_null("unknown"),
            "priority",
            "customer_id",
        )
    )

    def ts_of(event_type: str) -> pl.Expr:
        return pl.col("event_ts").filter(pl.col("event_type") == event_type)

    activity = events.group_by("ticket_id").agg(
        ts_of("agent_message").min().alias("first_agent_at"),
        ts_of("ticket_solved").max().alias("last_solved_at"),
        ts_of("ticket_reopened").max().alias("last_reopened_at"),
        (pl.col("event_type") == "agent_message").sum().alias("agent_messages"),
        (pl.col("event_type") == "ticket_reopened").any().alias("reopened"),
        (pl.col("event_type") == "bot_message").sum().alias("bot_messages"),
    )
    ratings = (
        events.filter((pl.col("event_type") == "csat_rated") & pl.col("csat_score").is_not_null())
        .sort("event_ts", "event_id")
        .unique(subset=["ticket_id"], keep="last", maintain_order=True)
        .select(
            "ticket_id",
            pl.col("csat_score").alias("score"),
            pl.col("event_ts").dt.convert_time_zone(tz).dt.date().alias("rated_date"),
        )
    )
    first_replies = (
        events.filter(pl.col("event_type") == "agent_message")
        .sort("event_ts", "event_id")
        .unique(subset=["ticket_id"], keep="first", maintain_order=True)
        .select(
            "ticket_id",
            pl.col("agent_id").fill_null("unknown").alias("first_agent"),
            pl.col("event_ts").dt.convert_time_zone(tz).dt.date().alias("first_reply_date"),
        )
    )
    tickets = (
        created.join(activity, on="ticket_id", how="left")
        .join(ratings, on="ticket_id", how="left")
        .join(first_replies, on="ticket_id", how="left")
        .with_columns(
            (
                pl.col("last_solved_at").is_not_null()
                & (pl.col("last_reopened_at").is_null() | (pl.col("last_reopened_at") <= pl.col("last_solved_at")))
            ).alias("solved"),
            pl.col("priority")
            .replace_strict(SLA_TARGET_MINUTES, default=None, return_dtype=pl.Float64)
            .alias("target"),
            pl.lit(as_of).alias("as_of"),
        )
        .with_columns(
            _minutes("first_agent_at", "created_at").alias("first_response"),
            pl.when("solved").then(_minutes("last_solved_at", "created_at")).alias("resolution"),
            _minutes("as_of", "created_at").alias("open_minutes"),
        )
    )
    breached = []
    for first_response, open_minutes, target in tickets.select("first_response", "open_minutes", "target").iter_rows():
        if target is None:
            breached.append(None)
        elif first_response is not None:
            breached.append(first_response > target)
        else:
            breached.append(open_minutes > target)
    presale = (pl.col("category") == "pre_sale") & pl.col("customer_id").is_not_null()
    converted = _presale_converted(landing, tickets.filter(presale))
    return tickets.with_columns(
        pl.Series("sla_breached", breached, dtype=pl.Boolean),
        (pl.col("solved") & (pl.col("agent_messages") == 1)).alias("one_touch"),
        (pl.col("solved") & (pl.col("bot_messages") >= 1) & (pl.col("agent_messages") == 0)).alias("contained"),
        presale.alias("presale"),
        (presale & pl.col("ticket_id").is_in(sorted(converted))).alias("converted"),
    )


def _presale_converted(landing: Path, presale: pl.DataFrame) -> set[str]:
    """ticket_ids of the pre-sale tickets whose customer places a paid order (latest version)
    created in (ticket created, ticket created + 7 x 24 h]."""
    orders = kd.read_entity(Path(landing), "shop", "orders")
    if orders is None or presale.height == 0:
        return set()
    paid: dict[str, list] = {}
    for customer, created_at in (
        kd._latest(orders, ["order_id"], ["updated_at"])
        .filter(pl.col("status").is_in(kd.PAID_STATUSES) & pl.col("customer_id").is_not_null())
        .select("customer_id", "created_at")
        .iter_rows()
    ):
        paid.setdefault(customer, []).append(created_at)
    return {
        ticket_id
        for ticket_id, customer, created_at in presale.select("ticket_id", "customer_id", "created_at").iter_rows()
        if any(created_at < t <= created_at + PRESALE_WINDOW for t in paid.get(customer, ()))
    }


def compute_service_daily(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame:
    tickets = ticket_metrics(landing, tz)
    if tickets is None or tickets.height == 0:
        return pl.DataFrame(schema={c: pl.Float64 for c in SERVICE_COLUMNS})
    df = (
        tickets.group_by("date", "channel", "category")
        .agg(
            pl.len().alias("tickets"),
            pl.col("first_response").quantile(0.5, "linear").alias("first_response_p50_minutes"),
            pl.col("first_response").quantile(0.9, "linear").alias("first_response_p90_minutes"),
            pl.col("resolution").quantile(0.5, "linear").alias("resolution_p50_minutes"),
            pl.col("sla_breached").sum().alias("breached"),
            pl.col("sla_breached").is_not_null().sum().alias("judged"),
            (pl.col("score") >= 4).sum().alias("satisfied"),
            pl.col("score").is_not_null().sum().alias("rated"),
            pl.col("score").cast(pl.Float64).mean().alias("csat_avg"),
            pl.col("reopened").sum().alias("reopened"),
            pl.col("solved").sum().alias("solved"),
            pl.col("one_touch").sum().alias("one_touch"),
            pl.col("contained").sum().alias("bot_contained_tickets"),
            pl.col("presale").sum().alias("presale_tickets"),
            pl.col("converted").sum().alias("presale_converted_tickets"),
        )
        .with_columns(
            kd._ratio("breached", "judged").alias("sla_breach_rate"),
            kd._ratio("satisfied", "rated").alias("csat"),
            kd._ratio("reopened", "tickets").alias("reopen_rate"),
            kd._ratio("one_touch", "solved").alias("one_touch_rate"),
            kd._ratio("bot_contained_tickets", "solved").alias("bot_containment_rate"),
            kd._ratio("presale_converted_tickets", "presale_tickets").alias("presale_conversion_rate"),
        )
    )
    df = df.with_columns(
        pl.col("rated").alias("rated_tickets"),
        pl.col("satisfied").alias("satisfied_tickets"),
        pl.col("solved").alias("solved_tickets"),
    )
    return df.select(
        "date",
        "channel",
        "category",
        *[pl.col(c).cast(pl.Int64 if c in SERVICE_COUNTS else pl.Float64) for c in SERVICE_COLUMNS[3:]],
    ).sort("date", "channel", "category")


# --------------------------------------------------------------------------- agent_daily


def compute_agent_daily(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame:
    tickets = ticket_metrics(landing, tz)
    if tickets is None or tickets.height == 0:
        return pl.DataFrame(schema={c: pl.Float64 for c in AGENT_COLUMNS})
    events = _read_events(landing, "service")
    messages = (
        events.filter((pl.col("event_type") == "agent_message") & pl.col("ticket_id").is_in(tickets["ticket_id"]))
        .with_columns(
            pl.col("event_ts").dt.convert_time_zone(tz).dt.date().alias("date"),
            pl.col("agent_id").fill_null("unknown"),
        )
        .group_by("date", "agent_id")
        .agg(pl.col("ticket_id").n_unique().alias("tickets_touched"), pl.len().alias("messages"))
    )
    answered = tickets.filter(pl.col("first_agent").is_not_null())
    firsts = answered.group_by(pl.col("first_reply_date").alias("date"), pl.col("first_agent").alias("agent_id")).agg(
        pl.len().alias("first_responses"),
        pl.col("first_response").quantile(0.5, "linear").alias("first_response_p50_minutes"),
    )
    ratings = (
        answered.filter(pl.col("score").is_not_null())
        .group_by(pl.col("rated_date").alias("date"), pl.col("first_agent").alias("agent_id"))
        .agg(pl.len().alias("rated_tickets"), (pl.col("score") >= 4).sum().alias("satisfied_tickets"))
    )
    keys = pl.concat([f.select("date", "agent_id") for f in (messages, firsts, ratings)]).unique()
    df = (
        keys.join(messages, on=["date", "agent_id"], how="left")
        .join(firsts, on=["date", "agent_id"], how="left")
        .join(ratings, on=["date", "agent_id"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in AGENT_COUNTS)
        .with_columns(kd._ratio("satisfied_tickets", "rated_tickets").alias("csat"))
    )
    return df.select(
        "date",
        "agent_id",
        *[pl.col(c).cast(pl.Int64 if c in AGENT_COUNTS else pl.Float64) for c in AGENT_COLUMNS[2:]],
    ).sort("date", "agent_id")


# --------------------------------------------------------------------------- session_paths


def session_path(page_types: list[str | None]) -> tuple[str, str]:
    """(path, exit page) of a session's page_types in event order."""
    pages = [p for p in page_types if p is not None]
    if not pages:
        return NO_PAGE, NO_PAGE
    steps = [p for i, p in enumerate(pages) if i == 0 or p != pages[i - 1]]
    return " > ".join(steps[:PATH_STEPS]), pages[-1]


def session_paths_by_session(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame | None:
    """One row per session: session_id, week_start, path, exit_page, purchased."""
    events = _read_events(landing, "traffic")
    if events is None:
        return None
    sessions = (
        events.sort("event_ts", "event_id")
        .group_by("session_id", maintain_order=True)
        .agg(
            pl.col("event_ts").first().dt.convert_time_zone(tz).dt.date().alias("date"),
            pl.col("page_type"),
            (pl.col("event_name") == "purchase").any().alias("purchased"),
        )
    )
    rows = []
    for session_id, day, pages, purchased in sessions.iter_rows():
        path, exit_page = session_path(pages)
        rows.append((session_id, day - timedelta(days=day.weekday()), path, exit_page, purchased))
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "session_id": pl.String,
            "week_start": pl.Date,
            "path": pl.String,
            "exit_page": pl.String,
            "purchased": pl.Boolean,
        },
    )


def compute_session_paths(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame:
    sessions = session_paths_by_session(landing, tz)
    if sessions is None or sessions.height == 0:
        return pl.DataFrame(schema={c: pl.Float64 for c in PATH_COLUMNS})
    top_exits = (
        sessions.group_by("week_start", "path", "exit_page")
        .agg(pl.len().alias("exits"))
        .sort(["exits", "exit_page"], descending=[True, False])
        .unique(subset=["week_start", "path"], keep="first", maintain_order=True)
        .select("week_start", "path", pl.col("exit_page").alias("top_exit_page"))
    )
    df = (
        sessions.group_by("week_start", "path")
        .agg(pl.len().alias("sessions"), pl.col("purchased").sum().alias("purchased"))
        .with_columns(pl.col("sessions").sum().over("week_start").alias("week_sessions"))
        .with_columns(
            kd._ratio("sessions", "week_sessions").alias("share"),
            kd._ratio("purchased", "sessions").alias("conversion_rate"),
        )
        .join(top_exits, on=["week_start", "path"], how="left")
    )
    return df.select(
        "week_start",
        "path",
        pl.col("sessions").cast(pl.Int64),
        pl.col("share").cast(pl.Float64),
        pl.col("conversion_rate").cast(pl.Float64),
        "top_exit_page",
        _week_complete(landing),
    ).sort("week_start", "path")


def _week_complete(landing: Path) -> pl.Expr:
    last = kd.last_complete_day(Path(landing))
    if last is None:
        return pl.lit(False).alias("is_complete")
    return (pl.col("week_start") + timedelta(days=6) <= last).alias("is_complete")
