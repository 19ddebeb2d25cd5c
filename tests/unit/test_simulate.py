"""The simulator writes the landing layout of sources.md, contract-valid unless asked for faults,
deterministically, with the behaviour the warehouse must handle (checked on the ingested rows,
not on the simulator's own bookkeeping, wherever the raw tables can say it)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.contract import ENTITIES, REASONS
from ingest.load import ensure_schema, ingest_partition, landed_batch_days
from simulator.simulate import MANIFEST, SCALES, simulate

TZ = "Asia/Shanghai"
TINY_START, TINY_DAYS = date(2026, 2, 20), 14
SMALL_START, SMALL_DAYS = date(2026, 3, 1), 8


def _ingest_all(landing: Path, db: Path) -> duckdb.DuckDBPyConnection:
    """Every landed partition of every entity, batch days in order (as the pipeline does)."""
    con = duckdb.connect(str(db))
    ensure_schema(con)
    for entity in ENTITIES:
        for dt in landed_batch_days(landing, entity):
            ingest_partition(con, landing, entity, dt, TZ)
    return con


def _digests(landing: Path) -> dict[str, str]:
    return {
        str(p.relative_to(landing)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(landing.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    landing = tmp_path_factory.mktemp("tiny")
    calls = []
    summary = simulate(landing, TINY_START, TINY_DAYS, scale="tiny", seed=3, progress=lambda *a: calls.append(a))
    con = _ingest_all(landing, tmp_path_factory.mktemp("tiny_db") / "w.duckdb")
    yield landing, summary, con, calls
    con.close()


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    landing = tmp_path_factory.mktemp("faulty")
    summary = simulate(landing, SMALL_START, SMALL_DAYS, scale="small", seed=5, faults=True)
    con = _ingest_all(landing, tmp_path_factory.mktemp("faulty_db") / "w.duckdb")
    yield landing, summary, con
    con.close()


def _one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_every_entity_lands_in_the_contract_layout(tiny):
    landing, summary, _, calls = tiny
    days = {f"dt={TINY_START + timedelta(days=i)}" for i in range(TINY_DAYS)}
    for entity in ENTITIES:
        folders = {p.name for p in (landing / entity.folder).iterdir()}
        assert folders <= days and f"dt={TINY_START}" in folders, entity.name
    suffix = {"traffic": ".jsonl.gz", "service": ".jsonl"}
    for entity in ENTITIES:
        for part in (landing / entity.folder).iterdir():
            files = list(part.iterdir())
            assert files and all(f.name.endswith(suffix.get(entity.system, ".csv")) for f in files), part
    for part in (landing / "traffic/events").iterdir():
        assert len(list(part.iterdir())) >= 2, f"{part}: a batch of app, web and mini-program files"
    orders = next((landing / "shop/orders").glob("dt=*/*.csv")).read_text()
    payments = next((landing / "shop/payments").glob("dt=*/*.csv")).read_text()
    assert "+08:00" in orders and "Z," in payments  # both offset conventions appear
    assert calls[-1] == ("simulate", TINY_DAYS, TINY_DAYS) and len(calls) == TINY_DAYS
    manifest = json.loads((landing / MANIFEST).read_text())
    assert manifest["rows"] == summary["rows"] and sum(manifest["rows"].values()) > 5_000


def test_clean_files_load_without_a_single_quarantined_row(tiny):
    landing, summary, con, _ = tiny
    log = con.execute(
        "SELECT entity, sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_duplicate) "
        "FROM ops.ingest_log GROUP BY 1"
    ).fetchall()
    assert {row[0] for row in log} == {e.name for e in ENTITIES}
    for entity, read, loaded, quarantined, duplicate in log:
        assert quarantined == 0, entity
        assert read == loaded + duplicate == summary["rows"][entity], entity
    traffic = summary["truths"]["traffic"]
    dropped = _one(con, "SELECT sum(rows_duplicate) FROM ops.ingest_log WHERE entity = 'traffic_events'")
    assert dropped == traffic["duplicate_same_file"] + traffic["duplicate_next_batch"] > 0
    assert _one(con, "SELECT count(DISTINCT order_id) FROM raw.shop_orders") == summary["truths"]["orders"]["placed"]


def test_the_same_seed_writes_the_same_bytes_and_only_fx_and_targets_depend_on_the_base_currency(tmp_path):
    """Targets are money of the base currency (sources.md), so they follow it too."""
    args = dict(start=date(2026, 1, 1), days=4, scale="tiny")
    simulate(tmp_path / "a", seed=9, **args)
    simulate(tmp_path / "b", seed=9, **args)
    simulate(tmp_path / "c", seed=10, **args)
    simulate(tmp_path / "usd", seed=9, base_currency="USD", **args)
    a, b, c, usd = (_digests(tmp_path / name) for name in ("a", "b", "c", "usd"))
    assert a == b
    assert a != c
    changed = {name for name in a if a[name] != usd.get(name)}
    assert changed and all(name.startswith(("finance/fx_rates/", "plan/targets/")) for name in changed)
    assert set(a) == set(usd)


def test_late_data_arrives_in_later_batches(tiny):
    _, _, con, _ = tiny
    # order status changes and refunds of earlier orders
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT order_id FROM raw.shop_orders "
            "GROUP BY 1 HAVING count(DISTINCT _batch_dt) > 1)",
        )
        > 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM raw.shop_refunds r JOIN raw.shop_orders o USING (order_id) "
            "WHERE o.status = 'pending' AND r._batch_dt > o._batch_dt",
        )
        > 0
    )
    # app events sent days late, and never web events
    late = con.execute(
        f"SELECT platform, max(_batch_dt - CAST(timezone('{TZ}', event_ts) AS DATE)) FROM raw.traffic_events GROUP BY 1"
    ).fetchall()
    lateness = dict(late)
    assert 1 <= lateness["app"] <= 3 and lateness["web"] == 0


def test_the_shop_behaves_like_a_shop(faulty):
    landing, summary, con = faulty
    local = f"CAST(timezone('{TZ}', created_at) AS DATE)"
    daily = dict(con.execute(f"SELECT {local}, count(DISTINCT order_id) FROM raw.shop_orders GROUP BY 1").fetchall())
    promo = [date.fromisoformat(d) for d in summary["plan"]["promotion_days"]]
    ordinary = sorted(n for d, n in daily.items() if d not in promo and d >= SMALL_START)
    assert promo and min(daily[d] for d in promo) > 1.8 * ordinary[len(ordinary) // 2]
    assert 600 < ordinary[len(ordinary) // 2] < 1500  # "small": about a thousand orders a day
    # repeat buyers, cross-border orders in foreign currencies, whole-order and item refunds
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT customer_id FROM raw.shop_orders "
            "GROUP BY 1 HAVING count(DISTINCT order_id) >= 2)",
        )
        > 100
    )
    currencies = {r[0] for r in con.execute("SELECT DISTINCT currency FROM raw.shop_orders").fetchall()}
    assert {"CNY", "USD", "EUR"} <= currencies
    kinds = dict(con.execute("SELECT product_id IS NULL, count(*) FROM raw.shop_refunds GROUP BY 1").fetchall())
    assert kinds.get(True, 0) > 0 and kinds.get(False, 0) > 0
    # the funnel narrows, channels differ, the experiment has two arms
    funnel = dict(
        con.execute("SELECT event_name, count(DISTINCT session_id) FROM raw.traffic_events GROUP BY 1").fetchall()
    )
    assert (
        funnel["page_view"]
        > funnel["product_view"]
        > funnel["add_to_cart"]
        > funnel["begin_checkout"]
        > funnel["purchase"]
        > 0
    )
    assert _one(con, "SELECT count(DISTINCT utm_source) FROM raw.traffic_events") >= 8
    arms = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT variant FROM raw.traffic_events WHERE experiment_id IS NOT NULL"
        ).fetchall()
    }
    assert arms == {"control", "treatment"}
    lift = summary["truths"]["experiment"]["measured_relative_lift"]
    assert 0.05 < lift < 0.25  # planted: +15 % purchase after checkout
    # service: bots and agents reply, tickets are solved, reopened and rated
    service = {r[0] for r in con.execute("SELECT DISTINCT event_type FROM raw.service_events").fetchall()}
    assert service == {
        "ticket_created",
        "customer_message",
        "agent_message",
        "bot_message",
        "status_changed",
        "ticket_solved",
        "ticket_reopened",
        "csat_rated",
    }
    # spend per channel and campaign; planted fraud patterns
    assert _one(con, "SELECT count(DISTINCT channel) FROM raw.marketing_spend") >= 5
    risk = summary["truths"]["risk"]
    assert risk["order_velocity"]["max_orders_in_60_min_by_device_id"] == 7
    assert risk["refund_abuse"]["rule_met_at_end"]


def test_faults_are_quarantined_with_the_reason_the_simulator_planted(faulty):
    _, summary, con = faulty
    planted = summary["fault_summary"]["by_reason"]
    got = dict(con.execute("SELECT reason, count(*) FROM ops.quarantine GROUP BY 1").fetchall())
    assert set(planted) == set(REASONS) and all(planted[r] > 0 for r in REASONS)
    assert got == planted
    identity = _one(
        con, "SELECT count(*) FROM ops.ingest_log WHERE rows_read <> rows_loaded + rows_quarantined + rows_duplicate"
    )
    assert identity == 0
    worst = _one(
        con,
        "SELECT max(q / r) FROM (SELECT entity, batch_dt, sum(rows_quarantined) AS q, "
        "sum(rows_read) AS r FROM ops.ingest_log GROUP BY 1, 2 HAVING r > 0)",
    )
    assert 0 < worst < 0.05  # below the quarantine gate: a faulty shop still publishes
    extra = con.execute("SELECT file, extra_columns FROM ops.ingest_log WHERE len(extra_columns) > 0").fetchall()
    assert {tuple(cols) for _, cols in extra} == {("warehouse_code",), ("sdk_version",)}


def test_the_simulator_names_values_of_the_contract_enums():
    """Weighted tables name contract values; per-value tables are laid out in the contract's order."""
    from ingest import contract
    from simulator import params as P
    from simulator.util import names_of

    for table, enum in (
        (P.DOMESTIC_METHODS, contract.PAYMENT_METHODS),
        (P.FOREIGN_METHODS, contract.PAYMENT_METHODS),
        (P.REFUND_REASONS_ITEM, contract.REFUND_REASONS),
        (P.REFUND_REASONS_ORDER, contract.REFUND_REASONS),
        (P.TICKET_CHANNELS, contract.SERVICE_CHANNELS),
        (P.PRIORITY_MIX, contract.PRIORITIES),
        (P.ORDER_TICKET_CATEGORIES, contract.SERVICE_CATEGORIES),
        (P.PRESALE_TICKET_CATEGORIES, contract.SERVICE_CATEGORIES),
    ):
        assert set(names_of(table)) <= set(enum), table
    assert P.in_order(("a", "b"), b=2, a=1) == (1, 2)
    with pytest.raises(ValueError):
        P.in_order(("a", "b"), a=1)
    assert P.HOSTS[contract.PLATFORMS.index("app")] == "app://shop"


def test_scales_grow_tenfold():
    assert SCALES["large"].events_per_day == 10 * SCALES["small"].events_per_day == 1000 * SCALES["tiny"].events_per_day


@pytest.mark.parametrize("seed", range(5))
def test_product_rows_never_carry_a_time_after_their_own_change(seed):
    """A row's timestamps must not lie in its batch's future (else ingest quarantines it)."""
    from simulator.calendar import WORLD, Calendar, rng_for
    from simulator.world import Catalogue

    catalogue = Catalogue(800, rng_for(seed, WORLD), Calendar(date(2026, 1, 1), 365, TZ), "CNY")
    rows = catalogue.rows()
    assert rows.height > 800
    assert rows.filter(pl.col("launched_at") > pl.col("updated_at")).height == 0


# --------------------------------------------------------------------------- second edition's planted truths


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Three weeks of a small shop, files only (read with polars): enough volume for the truths
    that need it (the late carrier's week, agents, pre-sale follow-ups, the outage day)."""
    landing = tmp_path_factory.mktemp("small")
    summary = simulate(landing, date(2026, 6, 1), 21, scale="small", seed=11)
    return landing, summary


def _read(landing: Path, entity_name: str) -> pl.DataFrame:
    e = next(e for e in ENTITIES if e.name == entity_name)
    files = sorted((landing / e.folder).glob("dt=*/*"))
    frames = []
    for f in files:
        if f.name.endswith(".csv"):
            df = pl.read_csv(f, infer_schema=False)
        else:
            df = pl.read_ndjson(f, infer_schema_length=None)
        if df.height:
            frames.append(df.with_columns(_batch=pl.lit(f.parent.name[3:])))
    return pl.concat(frames, how="diagonal_relaxed")


def test_planted_stockouts_have_nothing_on_hand_and_sell_nothing(tiny):
    _, summary, con, _ = tiny
    inv = summary["truths"]["inventory"]
    assert len(inv["planted_stockouts"]) == 2
    for s in inv["planted_stockouts"]:
        assert s["revenue_rank"] <= 2  # top sellers by expected revenue
        per_day = dict(
            con.execute(
                "SELECT date, sum(on_hand) FROM (SELECT *, row_number() OVER (PARTITION BY date, product_id, "
                "warehouse_id ORDER BY _batch_dt DESC, _file DESC, _line DESC) AS n FROM raw.shop_inventory) "
                "WHERE n = 1 AND product_id = ? GROUP BY 1",
                [s["product_id"]],
            ).fetchall()
        )
        first, last = date.fromisoformat(s["first_day"]), date.fromisoformat(s["last_day"])
        planted = [d for d in per_day if first <= d <= last]
        assert len(planted) == (last - first).days + 1 and all(per_day[d] == 0 for d in planted)
        assert per_day[first - timedelta(days=1)] > 0
        if last + timedelta(days=1) in per_day:
            assert per_day[last + timedelta(days=1)] > 0  # restocked the day after
        sold = con.execute(
            f"SELECT count(*) FROM raw.shop_order_items i JOIN raw.shop_orders o USING (order_id) "
            f"WHERE i.product_id = ? AND CAST(timezone('{TZ}', o.created_at) AS DATE) BETWEEN ? AND ?",
            [s["product_id"], first, last],
        ).fetchone()[0]
        assert sold == 0


def test_resent_inventory_rows_arrive_in_the_next_batch(tiny):
    _, summary, con, _ = tiny
    inv = summary["truths"]["inventory"]
    again = con.execute(
        "SELECT date, product_id, warehouse_id, arg_max(on_hand, _batch_dt), min(_batch_dt), max(_batch_dt) "
        "FROM raw.shop_inventory GROUP BY 1, 2, 3 HAVING count(*) > 1"
    ).fetchall()
    assert len(again) == inv["resent_rows"] > 0
    assert all(last == first + timedelta(days=1) == d + timedelta(days=1) for d, _, _, _, first, last in again)
    final = {(d.isoformat(), p, w): on_hand for d, p, w, on_hand, _, _ in again}
    for s in inv["resent_sample"]:
        assert final[(s["date"], s["product_id"], s["warehouse_id"])] == s["final_on_hand"] < s["first_on_hand"]
    assert inv["snapshot_rows"] == _one(
        con, "SELECT count(*) FROM (SELECT DISTINCT date, product_id, warehouse_id FROM raw.shop_inventory)"
    )


def test_cost_versions_and_products_without_cost_are_in_the_product_rows(tiny):
    _, summary, con, _ = tiny
    costs = summary["truths"]["costs"]
    assert costs["cost_changes"] and costs["products_without_cost"]
    for c in costs["cost_changes"]:
        versions = con.execute(
            f"SELECT CAST(timezone('{TZ}', updated_at) AS DATE), unit_cost FROM raw.shop_products "
            "WHERE product_id = ? ORDER BY updated_at",
            [c["product_id"]],
        ).fetchall()
        changed = date.fromisoformat(c["date"])
        before = [float(cost) for day, cost in versions if day < changed]
        after = [float(cost) for day, cost in versions if day >= changed]
        assert before[-1] == c["old_unit_cost"] and after[0] == c["new_unit_cost"] != c["old_unit_cost"]
    nulls = dict(
        con.execute("SELECT product_id, bool_and(unit_cost IS NULL) FROM raw.shop_products GROUP BY 1").fetchall()
    )
    assert {p for p, none in nulls.items() if none} == set(costs["products_without_cost"])


def test_targets_are_monthly_shop_level_and_per_channel_with_a_revision(tiny):
    from ingest.contract import TARGET_CHANNEL_METRICS, TARGET_METRICS

    _, summary, con, _ = tiny
    targets = summary["truths"]["targets"]
    rows = con.execute("SELECT month, metric, channel, value, updated_at, _batch_dt FROM raw.plan_targets").fetchall()
    assert {r[0] for r in rows} == set(targets["months"]) == {"2026-02", "2026-03"}
    assert {r[1] for r in rows} <= set(TARGET_METRICS) and "gmv" in {r[1] for r in rows if r[2] is None}
    assert all(r[1] in TARGET_CHANNEL_METRICS for r in rows if r[2] is not None) and targets["channel_targets"]
    latest = {}
    for month, metric, channel, value, _updated, _ in sorted(rows, key=lambda r: r[4]):
        latest[(month, metric, channel)] = float(value)
    assert latest == {(t["month"], t["metric"], t["channel"]): t["value"] for t in targets["final"]}
    # each month's targets arrive before it starts (the first month's in the first batch)
    assert all(b <= max(TINY_START, date.fromisoformat(m + "-01")) for m, *_, b in rows if b)


def test_orders_carry_a_promise_from_the_start_and_a_carrier_once_shipped(tiny):
    _, _, con, _ = tiny
    by_status = dict(
        con.execute(
            "SELECT status, count(*) FILTER (carrier IS NOT NULL) / count(*) FROM raw.shop_orders GROUP BY 1"
        ).fetchall()
    )
    assert by_status["pending"] == by_status["paid"] == 0 and by_status["shipped"] == by_status["delivered"] == 1
    assert _one(con, "SELECT count(*) FROM raw.shop_orders WHERE promised_delivery_date IS NULL") == 0
    assert (
        _one(
            con,
            f"SELECT min(promised_delivery_date - CAST(timezone('{TZ}', created_at) AS DATE)) FROM raw.shop_orders",
        )
        >= 4
    )


def test_the_late_carrier_is_late_in_its_week_and_brings_late_delivery_refunds(small):
    landing, summary = small
    log = summary["truths"]["logistics"]
    week = set(summary["plan"]["late_carrier_days"])
    assert len(week) == 7 and log["late_carrier"] == "yto_express"
    orders = _read(landing, "shop_orders")
    ts = pl.col("updated_at").str.to_datetime(time_zone="UTC")
    ship = orders.filter(pl.col("status") == "shipped").select("order_id", "carrier", shipped=ts)
    done = orders.filter(pl.col("status") == "delivered").select("order_id", "promised_delivery_date", delivered=ts)
    parcels = ship.join(done, on="order_id").with_columns(
        days=(pl.col("delivered") - pl.col("shipped")).dt.total_hours() / 24,
        ship_day=pl.col("shipped").dt.convert_time_zone(TZ).dt.date().cast(pl.String),
        late=pl.col("delivered").dt.convert_time_zone(TZ).dt.date().cast(pl.String) > pl.col("promised_delivery_date"),
    )
    in_week = parcels.filter(pl.col("ship_day").is_in(list(week)))
    mean = dict(in_week.group_by("carrier").agg(pl.col("days").mean()).iter_rows())
    late = dict(in_week.group_by("carrier").agg(pl.col("late").mean()).iter_rows())
    domestic = ("sf_express", "zto_express")
    assert all(mean["yto_express"] > mean[c] + 1.5 for c in domestic)
    assert all(late["yto_express"] > late[c] + 0.25 for c in domestic) and late["yto_express"] > 0.8
    outside = parcels.filter(~pl.col("ship_day").is_in(list(week)) & (pl.col("carrier") == "yto_express"))
    assert outside["days"].mean() < mean["yto_express"] - 2
    refunds = _read(landing, "shop_refunds").filter(pl.col("reason") == "late_delivery").unique("refund_id")
    yto_week = in_week.filter(pl.col("carrier") == "yto_express")
    assert refunds.join(yto_week, on="order_id").height >= 10
    assert log["late_delivery_refunds"] == refunds.height
    tickets = _read(landing, "service_events").filter(
        (pl.col("event_type") == "ticket_created") & (pl.col("category") == "shipping")
    )
    assert tickets.join(yto_week.filter("late"), on="order_id").height > 0


def test_agents_bot_and_presale_tickets(small):
    landing, summary = small
    service = summary["truths"]["service"]
    events = _read(landing, "service_events")
    per = events.group_by("ticket_id").agg(
        bot=(pl.col("event_type") == "bot_message").any(),
        solved=(pl.col("event_type") == "ticket_solved").any(),
        agent=pl.col("agent_id").is_not_null().any(),
    )
    contained = per.filter(pl.col("bot") & pl.col("solved") & ~pl.col("agent"))
    assert contained.height == service["bot_contained"] > 0
    agents = service["agents"]
    medians = agents["median_first_response_minutes"]
    assert medians[agents["slow_agent"]] > 1.5 * agents["median_first_response_minutes_all"]
    assert medians[agents["fast_agent"]] < 0.8 * agents["median_first_response_minutes_all"]
    assert set(medians) <= set(events["agent_id"].drop_nulls().unique().to_list())
    assert service["presale_followed_by_order_within_7_days"] > 0
    assert service["presale_followed_by_order_after_7_days_only"] > 0


def test_campaigns_in_utm_and_spend_and_one_only_in_spend(small):
    landing, summary = small
    marketing = summary["truths"]["marketing"]
    spend = set(_read(landing, "marketing_spend")["campaign"].unique().to_list())
    utm = set(marketing["campaigns_in_sessions"])
    assert marketing["spend_only_campaigns"] == ["tencent_display"] == sorted(spend - utm)
    assert len(spend & utm) >= 5


def test_the_outage_day_halves_the_sessions(small):
    _, summary = small
    outage = summary["truths"]["outage"]
    assert outage["date"] == summary["plan"]["outage_day"]
    assert outage["date"] not in summary["plan"]["promotion_days"]
    assert 0.35 < outage["ratio"] < 0.65
