"""Incremental models and late data (docs/design.md, "Incremental models and late data").

One tiny simulated shop, run as a warehouse runs: a history run, then daily runs, each one
incremental. Then the same files with dbt --full-refresh. Checked:
- a daily run rebuilds only the business days its batch touches (which days: worked out from the
  landing files; which rows were rewritten: DuckDB row ids);
- a late batch (events and order status changes for days 3-5 days old) changes exactly those
  days' KPIs, by numbers worked out from the late rows themselves, and kpi_daily then equals the
  independent reference computed from the landing files;
- every published mart, and every table dbt builds, equals a full refresh of the same files, after
  a last run re-delivers the daily batch corrected (a visitor's events lose their assignment).
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from orchestration.runner import run_window
from tests.reference.compare import mismatches
from tests.reference.kpi_daily import compute_kpi_daily
from tests.support.warehouse import SIM_DAYS, SIM_SEED, SIM_START, new_settings, read_table
from transform import runs_dir

# The simulated shop of conftest (SIM_START, SIM_DAYS, SIM_SEED: its batches pass every gate), its
# last day run as the daily run. The 90-day comparison is the benchmark's (docs/design.md).
START, HISTORY_DAYS, SEED = SIM_START, SIM_DAYS - 1, SIM_SEED
DAILY = START + timedelta(days=HISTORY_DAYS)  # the first incremental daily run
LATE = DAILY + timedelta(days=1)  # a batch of late rows only
OLD_DAYS = [LATE - timedelta(days=k) for k in (5, 4, 3)]
TZ = ZoneInfo("Asia/Shanghai")
LOOKBACK = 2  # dbt var lookback_days (transform/dbt_project.yml)
REBUILD_TABLES = {
    "int_traffic_rebuild_days",
    "int_service_rebuild_days",
    "int_order_rebuild_days",
    "int_product_view_rebuild_days",
}
# what a run rebuilds, not data: the days and ids of its window, empty after a full refresh
KEYS_REBUILT = {
    "stg_shop__customer_rebuild_ids": ("shop/customers", "customer_id"),
    "stg_shop__payment_rebuild_ids": ("shop/payments", "payment_id"),
}
BOOKKEEPING = (
    REBUILD_TABLES
    | set(KEYS_REBUILT)
    | {
        "stg_shop__order_rebuild_ids",
        "int_order_rebuild_ids",
        "int_order_attribution_rebuild_ids",
        "int_experiment_rebuild_visitors",
    }
)
# what the run journal says, not the data: differs between any two runs
NOT_DATA = {"data_health"}
SESSIONS_PER_DAY, CONVERTED_PER_DAY = 12, 3  # late sessions written per old day, of which converted
RETOUCH_CAMPAIGN = "late-win-back"
CHANNELS = set(
    pl.read_csv(Path(__file__).parents[2] / "transform" / "seeds" / "channel_rules.csv")["channel"]
)  # the campaign of a late first event of an existing session
NEXT_STATUS = {"paid": "shipped", "shipped": "delivered"}


def run_ok(settings, start, end, **kwargs):
    report = run_window(settings, start, end, **kwargs)
    assert report.success, report.one_line()
    return report


def _local_date(ts: str) -> date:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(TZ).date()


def _open_events(path: Path, mode: str) -> IO[str]:
    """A landed clickstream file as text (`rt` or `wt`), gzipped or not as its name says."""
    return gzip.open(path, mode) if path.name.endswith(".gz") else open(path, mode)


def _landed_events(landing: Path, pattern: str = "dt=*") -> Iterator[tuple[Path, dict]]:
    """Every clickstream event in the landing files (of the batch folders `pattern`), with its file."""
    for path in sorted((landing / "traffic" / "events").glob(f"{pattern}/*.jsonl*")):
        with _open_events(path, "rt") as handle:
            for line in handle:
                if line.strip():
                    yield path, json.loads(line)


def _traffic_events(landing: Path, day: date | None = None) -> pl.DataFrame:
    """event_id, event_ts and batch of every clickstream event loaded (of one batch day): exact
    duplicates, records identical to one of an earlier batch or earlier in the same batch, are
    dropped at ingest (docs/design.md) and left out here too."""
    rows, seen = [], set()
    for path, event in _landed_events(landing, f"dt={day}" if day else "dt=*"):
        record = json.dumps(event, sort_keys=True)
        if record not in seen:
            seen.add(record)
            rows.append((event["event_id"], event["event_ts"], path.parent.name[3:]))
    return pl.DataFrame(rows, schema=["event_id", "event_ts", "batch"], orient="row")


def expected_event_days(landing: Path, batch: date) -> set[date]:
    """Local days of every loaded copy of every event id that the batch brings."""
    events = _traffic_events(landing)
    ids = set(events.filter(pl.col("batch") == batch.isoformat())["event_id"])
    return {_local_date(ts) for eid, ts in events.select("event_id", "event_ts").iter_rows() if eid in ids}


def _csv(landing: Path, folder: str) -> pl.DataFrame:
    frames = [
        pl.read_csv(p, infer_schema=False).with_columns(
            pl.lit(p.parent.name[3:]).alias("_batch"), pl.lit(p.name).alias("_file")
        )
        for p in sorted((landing / folder).glob("dt=*/*.csv"))
    ]
    return pl.concat(frames, how="diagonal")


def _product_views(events: list[dict]) -> pl.DataFrame:
    """session_id, product_id and local day of every product_view event of `events`."""
    rows = [
        (event.get("session_id"), event["product_id"], _local_date(event["event_ts"]))
        for event in events
        if event.get("event_name") == "product_view" and event.get("product_id")
    ]
    return pl.DataFrame(rows, schema=["session_id", "product_id", "day"], orient="row")


def hold_back_a_session(landing: Path) -> str:
    """Move every event of the session of a paid order placed the day before DAILY into batch
    DAILY (the order has no version in that batch): the history run sees the order without its
    session, the daily run brings the session. Returns the order id."""
    day = DAILY - timedelta(days=1)
    versions = _csv(landing, "shop/orders")
    updated_daily = versions.filter(pl.col("_batch") == DAILY.isoformat())["order_id"]
    orders = versions.filter(
        (pl.col("_batch") == day.isoformat())
        & pl.col("status").is_in(["paid", "shipped", "delivered"])
        & pl.col("session_id").is_not_null()
        & ~pl.col("order_id").is_in(updated_daily.to_list())
    )
    order = orders.filter(pl.col("created_at").map_elements(_local_date, return_dtype=pl.Date) == day).sort("order_id")
    order_id, session_id = order["order_id"][0], order["session_id"][0]
    held = []
    for path in sorted((landing / "traffic" / "events").glob("dt=*/*.jsonl*")):
        with _open_events(path, "rt") as handle:
            lines = [line for line in handle if line.strip()]
        kept = [line for line in lines if json.loads(line).get("session_id") != session_id]
        if len(kept) < len(lines):
            assert path.parent.name < f"dt={DAILY}"
            held += [line for line in lines if json.loads(line).get("session_id") == session_id]
            with _open_events(path, "wt") as handle:
                handle.writelines(kept)
    assert held, f"the session {session_id} of order {order_id} has no events"
    (landing / "traffic" / "events" / f"dt={DAILY}" / "held-back.jsonl").write_text("".join(held))
    return order_id


def redeliver_daily_without_an_assignment(landing: Path) -> str:
    """Re-deliver batch DAILY's clickstream with the experiment assignment taken off every event
    of one visitor who has assigned events in it and in no other batch, and no purchase (an
    upstream correction): the visitor's exposures on those days are gone, which only the rows as
    the last run left them tell (int_experiment_rebuild_visitors). Returns the anonymous_id."""
    batches: dict[str, set[str]] = {}  # visitor -> the batch folders of their assigned events
    buyers = set()  # their purchase events would name them now too
    for path, event in _landed_events(landing):
        if event.get("experiment_id") and event.get("variant"):
            batches.setdefault(event["anonymous_id"], set()).add(path.parent.name)
        if event.get("event_name") == "purchase":
            buyers.add(event["anonymous_id"])
    visitor = min(v for v, folders in batches.items() if folders == {f"dt={DAILY.isoformat()}"} and v not in buyers)
    for path in sorted((landing / "traffic" / "events" / f"dt={DAILY.isoformat()}").glob("*.jsonl*")):
        with _open_events(path, "rt") as handle:
            events = [json.loads(line) for line in handle if line.strip()]
        for event in events:
            if event.get("anonymous_id") == visitor:
                event["experiment_id"] = event["variant"] = None
        with _open_events(path, "wt") as handle:
            handle.writelines(json.dumps(event) + "\n" for event in events)
    return visitor


def write_late_batch(landing: Path) -> tuple[dict[date, dict], set[date], set[date], str]:
    """Late rows for OLD_DAYS in batch LATE: per day SESSIONS_PER_DAY new sessions of 5 events
    (CONVERTED_PER_DAY of them end in a purchase, none is a bounce, no page load times); one paid
    base-currency order of that day, its customer's only order, cancelled; a few other paid
    orders of any day re-sent, still paid (no KPI changes); one paid order of an older day
    re-sent without its session (an upstream correction: the products its session viewed are no
    longer purchased in it). Returns what each day must change by, worked out from these rows
    and the landed files alone; the days of the unlinked session's views of its order's products;
    and the days of every view whose purchase these rows change (those, and the views of the
    cancelled orders' products in their sessions). And one paid order of an old day, not re-sent,
    whose session gains an earlier first event from RETOUCH_CAMPAIGN: its id is returned last."""
    orders = _csv(landing, "shop/orders")
    latest = (
        orders.with_columns(
            pl.col("updated_at").str.to_datetime(time_zone="UTC").alias("_ts"),
            pl.col("created_at").map_elements(_local_date, return_dtype=pl.Date).alias("_day"),
        )
        .sort(["_ts", "_batch", "_file"])
        .group_by("order_id", maintain_order=True)
        .last()
    )
    single = latest.group_by("customer_id").len().filter(pl.col("len") == 1)["customer_id"]
    items = _csv(landing, "shop/order_items").unique(["order_id", "line_number"], keep="last")
    refunded = set(_csv(landing, "shop/refunds")["order_id"])
    changes, events, order_rows = {}, [], []
    late_ts = f"{LATE}T09:00:00+08:00"
    for n, day in enumerate(OLD_DAYS):
        paid = latest.filter((pl.col("_day") == day) & pl.col("status").is_in(["paid", "shipped", "delivered"]))
        order = (
            paid.filter(
                (pl.col("currency") == "CNY")
                & (pl.col("ship_country") == "CN")
                & ~pl.col("order_id").is_in(list(refunded))
                & pl.col("customer_id").is_in(single)
            )
            .sort("order_id")
            .row(0, named=True)
        )
        order_rows.append({**order, "status": "cancelled", "updated_at": late_ts})
        units = int(items.filter(pl.col("order_id") == order["order_id"])["quantity"].cast(pl.Int64).sum())
        changes[day] = dict(
            order_id=order["order_id"],
            total_amount=float(order["total_amount"]),
            discount_amount=float(order["discount_amount"]),
            units=units,
        )
        for s in range(SESSIONS_PER_DAY):
            names = [
                "page_view",
                "product_view",
                "add_to_cart",
                "begin_checkout",
                "purchase" if s < CONVERTED_PER_DAY else "page_view",
            ]
            for e, name in enumerate(names):
                ts = datetime(day.year, day.month, day.day, 10, s, e, tzinfo=TZ).astimezone(ZoneInfo("UTC"))
                events.append(
                    {
                        "event_id": f"late-{n}-{s}-{e}",
                        "event_ts": ts.isoformat().replace("+00:00", "Z"),
                        "anonymous_id": f"late-visitor-{n}-{s}",
                        "session_id": f"late-session-{n}-{s}",
                        "event_name": name,
                        "page_type": "home" if name == "page_view" else None,
                        "platform": "app",
                        "device_type": "mobile",
                        "country": "CN",
                    }
                )
    # enough rows that the volume gate (0.2x the median of the last 7 batches) lets the batch in:
    # other paid orders move on one status, or are re-sent as they are with a later updated_at
    cancelled = [row["order_id"] for row in order_rows]
    still_paid = latest.filter(
        pl.col("status").is_in(["paid", "shipped", "delivered"]) & ~pl.col("order_id").is_in(cancelled)
    ).sort("order_id")
    for other in still_paid.head(15).iter_rows(named=True):
        order_rows.append({**other, "status": NEXT_STATUS.get(other["status"], other["status"]), "updated_at": late_ts})
    # far enough from OLD_DAYS that no late event rebuilds the days of its session's views
    older = still_paid.slice(15).filter(
        pl.col("session_id").is_not_null() & (pl.col("_day") < min(OLD_DAYS) - timedelta(days=4 * LOOKBACK))
    )
    landed = [event for _, event in _landed_events(landing)]
    views = _product_views(landed)

    def view_days(order: dict) -> set[date]:
        products = items.filter(pl.col("order_id") == order["order_id"])["product_id"]
        return set(
            views.filter((pl.col("session_id") == order["session_id"]) & pl.col("product_id").is_in(products))["day"]
        )

    flip_days = set().union(*(view_days(row) for row in order_rows if row["status"] == "cancelled"))
    unlinked_view_days: set[date] = set()
    for candidate in older.iter_rows(named=True):
        unlinked_view_days = view_days(candidate)
        if unlinked_view_days:
            order_rows.append({**candidate, "session_id": None, "updated_at": late_ts})
            flip_days |= unlinked_view_days
            break
    # the order's channel and campaign follow its session (int_order_attribution): a late first
    # event of a session that already has several, on its date, moves its paid order to email
    resent = {row["order_id"] for row in order_rows}
    sessions: dict[str, list[dict]] = {}
    for event in landed:
        sessions.setdefault(event.get("session_id"), []).append(event)
    retouched = None
    for candidate in (
        latest.filter(
            pl.col("_day").is_in(OLD_DAYS)
            & pl.col("status").is_in(["paid", "shipped", "delivered"])
            & pl.col("session_id").is_not_null()
            & ~pl.col("order_id").is_in(list(resent))
        )
        .sort("order_id")
        .iter_rows(named=True)
    ):
        session = sorted(sessions.get(candidate["session_id"], []), key=lambda e: e["event_ts"])
        first = datetime.fromisoformat(session[0]["event_ts"].replace("Z", "+00:00")) if session else None
        if len(session) >= 2 and first.astimezone(TZ).date() in OLD_DAYS and first.astimezone(TZ).hour >= 1:
            retouched = candidate["order_id"]
            events.append(
                {
                    **{
                        k: session[0].get(k)
                        for k in ("anonymous_id", "session_id", "platform", "device_type", "country")
                    },
                    "event_id": "late-retouch",
                    "event_ts": (first - timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
                    "event_name": "page_view",
                    "page_type": "home",
                    "utm_source": "newsletter",
                    "utm_medium": "email",
                    "utm_campaign": RETOUCH_CAMPAIGN,
                }
            )
            break
    assert retouched, "no paid order of an old day has a session of several events"
    folder = landing / "traffic" / "events" / f"dt={LATE}"
    folder.mkdir(parents=True)
    (folder / "late-app.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    folder = landing / "shop" / "orders" / f"dt={LATE}"
    folder.mkdir(parents=True)
    columns = [c for c in orders.columns if not c.startswith("_")]
    pl.DataFrame(order_rows).select(columns).write_csv(folder / "orders.csv")
    return changes, unlinked_view_days, flip_days, retouched


def _max_rowids(db: Path, tables: dict[str, str]) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"select coalesce(max(rowid), -1) from {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def _dbt_tables(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
                "and table_schema in ('staging', 'intermediate', 'marts') order by 1, 2"
            ).fetchall()
        ]
    finally:
        con.close()


def _table_differences(left: Path, right: Path, tables: list[str]) -> dict[str, tuple[int, int]]:
    """Rows of each table in one database and not the other (all columns, duplicates counted)."""
    con = duckdb.connect(str(left), read_only=True)
    try:
        con.execute(f"attach '{right}' as other (read_only)")
        diffs = {}
        for table in tables:
            only_left = con.execute(
                f"select count(*) from (select * from {table} except all select * from other.{table})"
            ).fetchone()[0]
            only_right = con.execute(
                f"select count(*) from (select * from other.{table} except all select * from {table})"
            ).fetchone()[0]
            if only_left or only_right:
                diffs[table] = (only_left, only_right)
        return diffs
    finally:
        con.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from simulator.simulate import simulate

    landing = tmp_path_factory.mktemp("incr_landing")
    simulate(landing, START, HISTORY_DAYS + 1, scale="tiny", seed=SEED)
    settings = new_settings(tmp_path_factory.mktemp("incr_home"), landing)
    snapshots = tmp_path_factory.mktemp("incr_snapshots")
    facts = {"staging.stg_traffic__events": "event_date", "intermediate.int_sessions": "session_date"}
    state = {"settings": settings, "landing": landing}
    held_back = state["held_back_order"] = hold_back_a_session(landing)
    attribution_of = "select channel, session_date from intermediate.int_order_attribution where order_id = '{}'"

    state["history_run"] = run_ok(settings, START, DAILY - timedelta(days=1)).run_id  # a first (full) build
    # its dbt folders, before later runs prune them (the last KEEP_RUNS are kept)
    state["history_run_folders"] = list(runs_dir(settings).glob(f"{state['history_run'][:8]}-*"))
    state["held_back_before"] = read_table(settings.working_db, attribution_of.format(held_back)).row(0)
    state["rowids_before_daily"] = _max_rowids(settings.working_db, facts)
    state["rows_before_daily"] = {
        t: read_table(
            settings.working_db, f"select {c} as day, count(*) as n, max(rowid) as max_rowid from {t} group by 1"
        )
        for t, c in facts.items()
    }
    run_ok(settings, DAILY, DAILY)  # a daily run: incremental
    state["held_back_after"] = read_table(settings.working_db, attribution_of.format(held_back)).row(0)
    state["rebuilt"] = {
        t: set(read_table(settings.working_db, f"select * from intermediate.{t}").to_series()) for t in REBUILD_TABLES
    }
    state["rebuilt_order_ids"] = set(
        read_table(settings.working_db, "select * from staging.stg_shop__order_rebuild_ids").to_series()
    )
    state["rebuilt_int_order_ids"] = set(
        read_table(settings.working_db, "select * from intermediate.int_order_rebuild_ids").to_series()
    )
    state["rebuilt_keys"] = {
        t: set(read_table(settings.working_db, f"select * from staging.{t}").to_series()) for t in KEYS_REBUILT
    }
    state["rows_after_daily"] = {
        t: read_table(settings.working_db, f"select {c} as day, rowid as row_id from {t}") for t, c in facts.items()
    }

    state["kpi_before_late"] = read_table(settings.serving_db, "select * from marts.kpi_daily order by date")
    late_changes, state["unlinked_view_days"], state["purchase_flip_days"], retouched = write_late_batch(landing)
    state["late_changes"], state["retouched_order"] = late_changes, retouched
    attribution = f"select channel, campaign from intermediate.int_order_attribution where order_id = '{retouched}'"
    state["retouched_before"] = read_table(settings.working_db, attribution).row(0)
    run_ok(settings, LATE, LATE)  # the late batch: incremental
    state["retouched_after"] = read_table(settings.working_db, attribution).row(0)
    state["late_int_order_ids"] = set(
        read_table(settings.working_db, "select * from intermediate.int_order_rebuild_ids").to_series()
    )
    state["rebuilt_late"] = set(
        read_table(settings.working_db, "select * from intermediate.int_traffic_rebuild_days").to_series()
    )
    state["rebuilt_views_late"] = set(
        read_table(settings.working_db, "select * from intermediate.int_product_view_rebuild_days").to_series()
    )
    state["kpi_after_late"] = read_table(settings.serving_db, "select * from marts.kpi_daily order by date")
    # batch DAILY again, corrected: a visitor loses the assignment of their events (no KPI changes)
    state["unassigned_visitor"] = redeliver_daily_without_an_assignment(landing)
    run_ok(settings, DAILY, DAILY)

    shutil.copy(settings.serving_db, snapshots / "serving_incremental.duckdb")
    shutil.copy(settings.working_db, snapshots / "working_incremental.duckdb")
    run_ok(settings, LATE, LATE, full_refresh=True)  # the same files, every model rebuilt
    state["snapshots"] = snapshots
    return state


# -- a range is one run and one dbt invocation -----------------------------------------------------


def test_a_range_of_days_is_one_run_with_one_dbt_invocation(shop):
    from dagster import DagsterInstance

    run_id = shop["history_run"]
    with DagsterInstance.from_config(str(shop["settings"].dagster_home)) as instance:
        run = instance.get_run_by_id(run_id)
        steps = [stat.step_key for stat in instance.get_run_step_stats(run_id)]
    assert run.tags["dagster/asset_partition_range_start"] == START.isoformat()
    assert run.tags["dagster/asset_partition_range_end"] == (DAILY - timedelta(days=1)).isoformat()
    assert steps.count("transform") == 1
    # every dbt invocation leaves its artifacts in a folder of its own, named after the run
    assert len(shop["history_run_folders"]) == 1


# -- a daily run rebuilds only the days its batch touches -----------------------------------------


def test_daily_run_rebuilds_exactly_the_event_days_its_batch_touches(shop):
    expected = expected_event_days(shop["landing"], DAILY)
    assert shop["rebuilt"]["int_traffic_rebuild_days"] == expected
    # the batch day itself and the late app events of the days before it, not the whole history
    assert DAILY in expected and len(expected) < HISTORY_DAYS // 2


def test_rows_of_other_days_are_not_rewritten(shop):
    event_days = shop["rebuilt"]["int_traffic_rebuild_days"]
    session_days = {d + timedelta(days=k) for d in event_days for k in range(-LOOKBACK, LOOKBACK + 1)}
    for table, rebuilt in (("staging.stg_traffic__events", event_days), ("intermediate.int_sessions", session_days)):
        before = shop["rows_before_daily"][table]
        after = shop["rows_after_daily"][table]
        old_max = shop["rowids_before_daily"][table]
        new_rows = after.filter(pl.col("row_id") > old_max)
        assert set(new_rows["day"]) <= rebuilt, table  # rows written by the run belong to rebuilt days
        assert new_rows.height > 0
        untouched_before = before.filter(~pl.col("day").is_in(list(rebuilt)))
        untouched_after = after.filter(~pl.col("day").is_in(list(rebuilt)))
        # every other day keeps its rows where they were: same count, no row written anew
        assert untouched_after.height == int(untouched_before["n"].sum()), table
        assert untouched_after.height == 0 or untouched_after["row_id"].max() <= old_max, table


def test_order_and_service_days_follow_their_batches(shop):
    orders = shop["rebuilt"]["int_order_rebuild_days"]
    assert DAILY in orders and len(orders) < HISTORY_DAYS
    assert DAILY in shop["rebuilt"]["int_service_rebuild_days"]
    # the order ids rebuilt are those of the daily batch's order versions and lines
    batch = DAILY.isoformat()
    expected = set(_csv(shop["landing"], "shop/orders").filter(pl.col("_batch") == batch)["order_id"]) | set(
        _csv(shop["landing"], "shop/order_items").filter(pl.col("_batch") == batch)["order_id"]
    )
    assert shop["rebuilt_order_ids"] == expected
    # int_orders also rebuilds every order dated from the earliest fx rate of the batch on (the
    # rate also serves later dates without their own)
    rates = _csv(shop["landing"], "finance/fx_rates").filter(pl.col("_batch") == batch)
    assert rates.height > 0
    first_rate = date.fromisoformat(rates["date"].min())
    orders = _csv(shop["landing"], "shop/orders").sort("updated_at").unique("order_id", keep="last")
    dated = {oid for oid, ts in orders.select("order_id", "created_at").iter_rows() if _local_date(ts) >= first_rate}
    assert shop["rebuilt_int_order_ids"] == expected | dated


def test_latest_state_tables_rebuild_the_keys_their_batch_brings(shop):
    batch = DAILY.isoformat()
    for table, (folder, key) in KEYS_REBUILT.items():
        expected = set(_csv(shop["landing"], folder).filter(pl.col("_batch") == batch)[key])
        assert expected, table
        assert shop["rebuilt_keys"][table] == expected, table


# -- a late batch updates the days it belongs to ---------------------------------------------------


def test_late_batch_rebuilds_its_old_days(shop):
    assert shop["rebuilt_late"] == set(OLD_DAYS)


def test_late_batch_rebuilds_the_view_dates_whose_purchases_it_changed(shop):
    # the order re-sent without its session: its views lie on days no late event touches
    unlinked = shop["unlinked_view_days"]
    assert unlinked and not unlinked & shop["rebuilt_late"]
    assert shop["rebuilt_views_late"] == shop["rebuilt_late"] | shop["purchase_flip_days"]


def test_daily_run_attributes_an_earlier_order_to_the_session_it_brings(shop):
    # the order is not in the daily batch: its session's events are
    assert shop["held_back_order"] not in shop["rebuilt_int_order_ids"]
    assert shop["held_back_before"] == ("direct", None)
    channel, session_date = shop["held_back_after"]
    assert session_date is not None and channel in CHANNELS


def test_late_batch_reattributes_the_order_whose_session_it_changed(shop):
    # the order itself is not in the batch: only its session's new first event moves it
    assert shop["retouched_order"] not in shop["late_int_order_ids"]
    assert shop["retouched_before"][1] != RETOUCH_CAMPAIGN
    assert shop["retouched_after"] == ("email", RETOUCH_CAMPAIGN)


def test_late_batch_changes_exactly_those_days_kpis_by_the_late_rows(shop):
    before = {r["date"]: r for r in shop["kpi_before_late"].iter_rows(named=True)}
    after = {r["date"]: r for r in shop["kpi_after_late"].iter_rows(named=True)}
    assert sorted(after) == sorted(before)
    for day in sorted(before):
        if day not in OLD_DAYS:
            assert after[day] == before[day], day
    for day in OLD_DAYS:
        b, a, change = before[day], after[day], shop["late_changes"][day]
        sessions = b["sessions"] + SESSIONS_PER_DAY
        bounced = round(b["bounce_rate"] * b["sessions"])
        converted = round(b["conversion_rate"] * b["sessions"])
        paid = b["paid_orders"] - 1
        gross = float(b["gross_revenue"]) - change["total_amount"]
        cross_border = round(b["cross_border_share"] * b["paid_orders"])
        expected = dict(
            sessions=sessions,
            visitors=b["visitors"] + SESSIONS_PER_DAY,
            bounce_rate=bounced / sessions,
            conversion_rate=(converted + CONVERTED_PER_DAY) / sessions,
            page_load_p50_ms=b["page_load_p50_ms"],
            page_load_p90_ms=b["page_load_p90_ms"],
            placed_orders=b["placed_orders"],
            gmv=float(b["gmv"]),
            paid_orders=paid,
            cancelled_orders=b["cancelled_orders"] + 1,
            gross_revenue=gross,
            net_revenue=gross - float(b["refunded_amount"]),
            aov=gross / paid,
            discount_amount=float(b["discount_amount"]) - change["discount_amount"],
            units_sold=b["units_sold"] - change["units"],
            cross_border_share=cross_border / paid,
            new_customers=b["new_customers"] - 1,  # the cancelled order was its customer's only one
            returning_customers=b["returning_customers"],
            refunded_amount=float(b["refunded_amount"]),
            tickets=b["tickets"],
            csat=b["csat"],
        )
        for column, want in expected.items():
            got = a[column]
            assert (got is None and want is None) or math.isclose(
                float(got), float(want), rel_tol=1e-9, abs_tol=1e-4
            ), f"{day} {column}: got {got}, expected {want}"


def test_kpi_daily_after_the_late_batch_equals_the_independent_reference(shop):
    reference = compute_kpi_daily(shop["landing"])
    expected = {r.pop("date"): r for r in reference.iter_rows(named=True)}
    assert mismatches(shop["kpi_after_late"], expected) == []


# -- incremental equals full refresh ---------------------------------------------------------------


def test_every_published_mart_equals_a_full_refresh(shop):
    settings, snapshots = shop["settings"], shop["snapshots"]
    incremental = snapshots / "serving_incremental.duckdb"
    con = duckdb.connect(str(incremental), read_only=True)
    marts = [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
    ]
    con.close()
    assert {
        "kpi_daily",
        "channel_daily",
        "funnel_daily",
        "session_paths",
        "service_daily",
        "product_daily",
        "experiment_results",
        "gmv_forecast",
        "target_tracking",
        "risk_alerts",
    } <= set(marts)
    published = [f"marts.{t}" for t in marts if t not in NOT_DATA]
    assert _table_differences(incremental, settings.serving_db, published) == {}


def test_every_dbt_table_equals_a_full_refresh(shop):
    settings, snapshots = shop["settings"], shop["snapshots"]
    working = snapshots / "working_incremental.duckdb"
    tables = [t for t in _dbt_tables(working) if t.split(".")[1] not in BOOKKEEPING]
    assert {
        "staging.stg_traffic__events",
        "staging.stg_service__events",
        "intermediate.int_sessions",
        "intermediate.int_session_paths",
        "staging.stg_shop__orders",
        "staging.stg_shop__order_versions",
        "staging.stg_shop__order_items",
        "intermediate.int_order_items",
        "intermediate.int_product_view_sessions",
        "intermediate.int_session_channel_days",
        "intermediate.int_traffic_days",
        "intermediate.int_channel_visitor_days",
        "intermediate.int_experiment_exposure_days",
        "intermediate.int_purchase_events",
        "intermediate.int_orders",
        "intermediate.int_order_attribution",
        "intermediate.int_order_fulfilment",
        "intermediate.int_risk__order_velocity",
        "intermediate.int_risk__amount_outlier",
        "staging.stg_shop__customers",
        "staging.stg_shop__payments",
    } <= set(tables)
    assert _table_differences(working, settings.working_db, tables) == {}
    # a full refresh rebuilds from scratch: nothing is listed as a day to rebuild
    assert (
        read_table(settings.working_db, "select count(*) as n from intermediate.int_traffic_rebuild_days")["n"][0] == 0
    )
