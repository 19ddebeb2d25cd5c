"""The checks of the quality gate (GX suites per raw entity) without a pipeline run: each kind of
expectation fails on a hand-made bad partition, with a description naming the expectation, the
batch day, the rows affected and a sample (the validation is called directly on a copy of the edge
shop's ingested database, corrupted by hand); volume and delivery-gap checks on a hand-written
ingest log; a clean simulated day of fifty thousand events passes. The gate inside real runs:
tests/integration/test_quality_gates.py."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import pytest

from ingest.contract import ENTITIES, ENTITY_BY_NAME
from ingest.load import ensure_schema, ingest_partition, landed_batch_days
from quality import gate, gx_runner, suites
from quality.gate import MASK, validate_raw
from quality.suites import check_names
from tests.support.landing import csv_text, record, write_bytes
from tests.support.warehouse import EDGE_SHOP, EDGE_SHOP_DAYS

TZ = "Asia/Shanghai"
D1, D2, D3, D4 = (EDGE_SHOP_DAYS[0] + timedelta(days=i) for i in range(4))
D5 = D4 + timedelta(days=1)


# --- each kind of expectation fails on a hand-made bad partition ---------------------------------


@pytest.fixture(scope="module")
def edge_template(tmp_path_factory):
    """The edge shop ingested (no dbt): the clean base every hand-made bad partition starts from."""
    path = tmp_path_factory.mktemp("edge_raw") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    ensure_schema(con)
    for entity in ENTITIES:
        for dt in landed_batch_days(EDGE_SHOP, entity):
            ingest_partition(con, EDGE_SHOP, entity, dt, TZ)
    con.close()
    return path


@pytest.fixture
def raw_db(edge_template, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(edge_template, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


@pytest.fixture
def editable_raw(raw_db):
    """The copy with its raw views (over the template's lake) turned into tables that a test can
    break with UPDATE or ALTER; the gate reads either alike."""
    for entity in ENTITIES:
        raw_db.execute(f"CREATE TABLE raw._copy AS SELECT * FROM raw.{entity.name}")
        raw_db.execute(f"DROP VIEW raw.{entity.name}")
        raw_db.execute(f"ALTER TABLE raw._copy RENAME TO {entity.name}")
    return raw_db


def _outcomes(con, entity_name: str, days=EDGE_SHOP_DAYS, max_share: float = 0.05) -> dict:
    first, last = days
    window = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {o.check_name: o for o in validate_raw(con, ENTITY_BY_NAME[entity_name], window, TZ, max_share)}


def test_the_clean_edge_shop_passes_every_check_of_every_entity(raw_db):
    for entity in ENTITIES:
        outcomes = _outcomes(raw_db, entity.name)
        assert [name for name, _ in check_names(entity.name)] == list(outcomes)
        assert {n: o.detail for n, o in outcomes.items() if not o.passed} == {}, entity.name


# (entity, check, SQL that breaks it, phrases the description must hold)
BAD_PARTITIONS = [
    (
        "shop_orders",
        "contract_schema",
        "ALTER TABLE raw.shop_orders DROP COLUMN coupon_code",
        ["expect_column_distinct_values_to_equal_set(column_def)", "missing or retyped: coupon_code VARCHAR"],
    ),
    (
        "finance_fx_rates",
        "contract_schema",
        "ALTER TABLE raw.finance_fx_rates ALTER rate_to_base TYPE DOUBLE",
        [
            "expect_column_distinct_values_to_equal_set",
            "rate_to_base DECIMAL(18,10)",
            "not in the contract: rate_to_base DOUBLE",
        ],
    ),
    (
        "shop_orders",
        "required_not_null",
        "UPDATE raw.shop_orders SET ship_country = NULL WHERE order_id = 'o7'",
        [
            "expect_column_values_to_not_be_null(ship_country)",
            "1 batch day [2026-03-03 (1 row)]",
            "1 row affected",
            "ship_country=null at shop/orders/dt=2026-03-03/orders.csv:3",
        ],
    ),
    (
        "shop_payments",
        "enum_values",
        "UPDATE raw.shop_payments SET method = 'crypto' WHERE payment_id = 'pay6'",
        [
            "expect_column_values_to_be_in_set(method in {alipay, wechat_pay, card, paypal, cash_on_delivery})",
            "[2026-03-02 (1 row)]",
            "method='crypto' at shop/payments/dt=2026-03-02/payments.csv:4",
        ],
    ),
    (
        "shop_order_items",
        "value_ranges",
        "UPDATE raw.shop_order_items SET quantity = 0 WHERE order_id = 'o9'",
        ["expect_column_values_to_be_between(quantity >= 1)", "[2026-03-03 (1 row)]", "quantity=0 at"],
    ),
    (
        "finance_fx_rates",
        "value_ranges",
        "UPDATE raw.finance_fx_rates SET rate_to_base = 0 WHERE _batch_dt = '2026-03-04'",
        ["expect_column_values_to_be_between(rate_to_base > 0)", "[2026-03-04 (1 row)]", "rate_to_base=0 at"],
    ),
    # a refund stamped three days after its batch day: later than the end of the batch day plus one day
    (
        "shop_refunds",
        "value_ranges",
        "UPDATE raw.shop_refunds SET updated_at = updated_at + INTERVAL 3 DAY WHERE refund_id = 'r3'",
        [
            "expect_column_pair_values_a_to_be_greater_than_b(_ts_limit > updated_at)",
            "[2026-03-02 (1 row)]",
            "updated_at=2026-03-05T",
        ],
    ),
    (
        "shop_customers",
        "value_ranges",
        "UPDATE raw.shop_customers SET birth_year = 2027 WHERE customer_id = 'c6'",
        ["expect_column_pair_values_a_to_be_greater_than_b(_batch_year >= birth_year)", "birth_year=2027"],
    ),
    # an order-item line loaded twice in one batch (ingest would have dropped it: a broken dedupe)
    (
        "shop_order_items",
        "key_unique",
        "INSERT INTO raw.shop_order_items SELECT * REPLACE (unit_price + 1 AS unit_price) FROM raw.shop_order_items "
        "WHERE order_id = 'o6' AND line_number = 2",
        [
            "expect_compound_columns_to_be_unique(_batch_dt, order_id, line_number)",
            "[2026-03-02 (2 rows)]",
            "order_id='o6', line_number=2 at shop/order_items/dt=2026-03-02/order_items.csv:4",
        ],
    ),
    # the same version of a customer twice in a batch: the key is personal, the sample masks it
    (
        "shop_customers",
        "key_unique",
        "INSERT INTO raw.shop_customers SELECT * FROM raw.shop_customers WHERE customer_id = 'c6'",
        [
            "expect_compound_columns_to_be_unique(_batch_dt, customer_id, _row_hash)",
            "[2026-03-03 (2 rows)]",
            f"customer_id={MASK} at shop/customers/dt=2026-03-03/customers.csv:3",
        ],
    ),
    # o9's total no longer adds up: 1 of the 5 order rows of batch 3 is 20 %
    (
        "shop_orders",
        "order_total_identity",
        "UPDATE raw.shop_orders SET total_amount = 60 WHERE order_id = 'o9'",
        [
            "expect_column_values_to_be_between(bad_total_share >= 0 and <= 0.05)",
            "1 batch day [2026-03-03]",
            "1 row affected",
            "1 of 5 order rows off: o9 (total 60.00, parts give 66.00)",
        ],
    ),
    # pay1 (batch 1) now points to o7, which only arrives in batch 3: not known up to batch 1
    (
        "shop_payments",
        "order_known",
        "UPDATE raw.shop_payments SET order_id = 'o7' WHERE payment_id = 'pay1'",
        [
            "expect_column_values_to_be_between(unknown_order_share >= 0 and <= 0.05)",
            "[2026-03-01]",
            "2 rows affected",
            "2 of 5 rows point to unknown orders: order_id o7",
        ],
    ),
    (
        "shop_refunds",
        "order_known",
        "UPDATE raw.shop_refunds SET order_id = 'o404' WHERE refund_id = 'r2'",
        ["[2026-03-04]", "2 of 2 rows point to unknown orders: order_id o404"],
    ),
]


@pytest.mark.parametrize(
    "entity_name, check, breaking_sql, phrases",
    BAD_PARTITIONS,
    ids=[f"{e}-{c}-{i}" for i, (e, c, _, _) in enumerate(BAD_PARTITIONS)],
)
def test_each_kind_of_expectation_fails_on_a_bad_partition(editable_raw, entity_name, check, breaking_sql, phrases):
    assert _outcomes(editable_raw, entity_name)[check].passed
    editable_raw.execute(breaking_sql)
    outcomes = _outcomes(editable_raw, entity_name)
    outcome = outcomes[check]
    assert not outcome.passed
    for phrase in phrases:
        assert phrase in outcome.detail, (phrase, outcome.detail)
    if check != "contract_schema":  # a wrong column type leaves the other checks standing
        assert [n for n, o in outcomes.items() if not o.passed] == [check]


def test_keeping_each_expectations_configuration_during_a_validation_changes_no_outcome(editable_raw, monkeypatch):
    """gx_runner keeps the configuration GX builds for an expectation while a validation runs;
    with every bad partition above at once, each entity's outcomes equal those GX gives when it
    builds the configuration at every read."""
    for _, _, breaking_sql, _ in BAD_PARTITIONS:
        editable_raw.execute(breaking_sql)
    timeless = lambda outcomes: {n: replace(o, checked_at=None) for n, o in outcomes.items()}  # noqa: E731
    kept = {e.name: timeless(_outcomes(editable_raw, e.name)) for e in ENTITIES}
    monkeypatch.setattr(gx_runner, "_kept_configurations", contextlib.nullcontext)
    built = {e.name: timeless(_outcomes(editable_raw, e.name)) for e in ENTITIES}
    assert kept == built
    assert sum(not o.passed for outcomes in kept.values() for o in outcomes.values()) >= len(BAD_PARTITIONS) // 2


def test_validating_in_chunks_of_days_gives_the_outcomes_of_one_frame(editable_raw, monkeypatch):
    """A year of clickstream is validated one chunk of whole batch days at a time (memory): with
    chunks of one day, failures on two days are counted, sampled and dated as with one frame."""
    editable_raw.execute("UPDATE raw.shop_order_items SET quantity = 0 WHERE order_id IN ('o6', 'o9')")
    editable_raw.execute("UPDATE raw.shop_order_items SET product_id = NULL WHERE order_id = 'o9'")
    whole = _outcomes(editable_raw, "shop_order_items")
    monkeypatch.setattr(gate, "CHUNK_ROWS", 1)
    chunks = gate._day_chunks(editable_raw, ENTITY_BY_NAME["shop_order_items"], list(EDGE_SHOP_DAYS), gate.CHUNK_ROWS)
    days = editable_raw.execute("SELECT count(DISTINCT _batch_dt) FROM raw.shop_order_items").fetchone()[0]
    assert len(chunks) == days > 1 and all(first == last for first, last in chunks)
    chunked = _outcomes(editable_raw, "shop_order_items")
    timeless = lambda outcomes: {n: replace(o, checked_at=None) for n, o in outcomes.items()}  # noqa: E731
    assert timeless(chunked) == timeless(whole)
    failed = {n: o for n, o in chunked.items() if not o.passed}
    assert set(failed) == {"value_ranges", "required_not_null"}
    assert failed["value_ranges"].failed_partitions == ("2026-03-02", "2026-03-03")
    assert (
        failed["value_ranges"].rows_affected
        == editable_raw.execute("SELECT count(*) FROM raw.shop_order_items WHERE quantity = 0").fetchone()[0]
        >= 2
    )
    assert "met by" in chunked["key_unique"].detail and whole["key_unique"].detail == chunked["key_unique"].detail


def test_a_key_flagged_by_the_hashed_first_pass_is_judged_again_exactly(editable_raw, monkeypatch):
    """key_unique runs first on a 64-bit hash of the key over every row; a flagged key is judged
    again by the exact compound expectation, so a hash collision cannot fail the check. A first
    pass on `_batch_dt` alone (every batch of several rows "collides") stands in for a collision."""

    def colliding(e):
        quick = suites.first_pass(e)
        return replace(quick, kwargs={"column": "_batch_dt"}) if quick is not e else e

    monkeypatch.setattr(gate, "first_pass", colliding)
    outcomes = _outcomes(editable_raw, "shop_order_items")
    assert outcomes["key_unique"].passed, outcomes["key_unique"].detail
    editable_raw.execute(
        "INSERT INTO raw.shop_order_items SELECT * FROM raw.shop_order_items WHERE order_id = 'o6' AND line_number = 2"
    )
    assert _outcomes(editable_raw, "shop_order_items")["key_unique"].rows_affected == 2


def _orders_batch(landing, dt: date, n: int, bad_status: int = 0, bad_total: int = 0) -> None:
    rows = []
    for i in range(n):
        ts = f"{dt.isoformat()}T10:{i % 60:02d}:00+08:00"
        rec = record("shop_orders", order_id=f"n{dt:%d}-{i}", created_at=ts, updated_at=ts)
        if i < bad_status:
            rec["status"] = "refunded"  # not in the enum: quarantined by ingest
        elif i < bad_status + bad_total:
            rec["total_amount"] = "95.00"  # parts give 98.00
        rows.append(rec)
    write_bytes(landing, "shop_orders", "orders.csv", csv_text(rows).encode(), dt)


def test_quarantine_share_fails_on_a_batch_with_a_fifth_of_its_rows_quarantined(raw_db, tmp_path):
    _orders_batch(tmp_path, D5, 10, bad_status=2)
    ingest_partition(raw_db, tmp_path, ENTITY_BY_NAME["shop_orders"], D5, TZ)
    outcome = _outcomes(raw_db, "shop_orders", (D5, D5))["quarantine_share"]
    assert not outcome.passed and outcome.rows_affected == 2 and outcome.failed_partitions == ("2026-03-05",)
    assert "expect_column_values_to_be_between(quarantined_share >= 0 and <= 0.05)" in outcome.detail
    assert "2026-03-05: 2 of 10 rows quarantined (unknown_enum 2)" in outcome.detail
    # the same share passes when the setting allows it
    assert _outcomes(raw_db, "shop_orders", (D5, D5), max_share=0.25)["quarantine_share"].passed


def test_a_few_wrong_totals_are_tolerated_and_reported(raw_db, tmp_path):
    # 1 of 30 orders (3.3 %) is within the 5 % tolerance; 2 of 30 (6.7 %) is not
    _orders_batch(tmp_path, D5, 30, bad_total=1)
    ingest_partition(raw_db, tmp_path, ENTITY_BY_NAME["shop_orders"], D5, TZ)
    outcome = _outcomes(raw_db, "shop_orders", (D5, D5))["order_total_identity"]
    assert outcome.passed and outcome.rows_affected == 1
    assert (
        "within tolerance: 2026-03-05: 1 of 30 order rows off: n05-0 (total 95.00, parts give 98.00)" in outcome.detail
    )
    _orders_batch(tmp_path, D5, 30, bad_total=2)
    ingest_partition(raw_db, tmp_path, ENTITY_BY_NAME["shop_orders"], D5, TZ)
    assert not _outcomes(raw_db, "shop_orders", (D5, D5))["order_total_identity"].passed


def _log_batches(con, counts: dict[date, int]) -> None:
    con.executemany(
        "INSERT INTO ops.ingest_log VALUES ('shop_orders', ?, 'x.csv', ?, ?, 0, 0, [], 'loaded', NULL, now())",
        [(dt, n, n) for dt, n in counts.items()],
    )


@pytest.mark.parametrize(
    "today, verdict", [(100, True), (25, True), (15, False), (480, True), (560, False), (0, False)]
)
def test_row_count_bounds_of_a_large_source_are_a_ratio_of_the_median(tmp_path, today, verdict):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    day = date(2026, 5, 20)
    # thirty earlier batch days; the 28 before `day` have a median of 100: 0.2x = 20, 5x = 500
    # (wider than the noise bounds 100 -/+ 5 sqrt(100))
    history = [5000, 5000] + [90, 100, 110, 100, 95, 105, 120] * 4
    _log_batches(con, {day - timedelta(days=len(history) - i): n for i, n in enumerate(history)} | {day: today})
    outcome = _outcomes(con, "shop_orders", (day, day))["row_count_bounds"]
    assert outcome.passed is verdict, outcome.detail
    assert outcome.severity == "warn"  # volume warns unless the shop opts in
    if not verdict:
        assert "expect_column_values_to_be_between(volume_position >= 0 and <= 1)" in outcome.detail
        assert (
            f"2026-05-20: {today} rows loaded; 20..500 expected from the median 100 of the 28 batch days before"
            in outcome.detail
        )
        assert outcome.rows_affected == today


@pytest.mark.parametrize("today, verdict", [(0, True), (1, True), (14, True), (16, True), (17, False), (60, False)])
def test_row_count_bounds_of_a_small_shop_allow_its_natural_noise(tmp_path, today, verdict):
    """A shop of about three orders a day: a day without orders, or of 14, is its normal life;
    60 is not (upper bound 3 + 5 sqrt(3) + 5 = 16.7)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    day = date(2026, 5, 20)
    history = [1, 3, 5, 0, 3, 4, 2] * 4
    _log_batches(con, {day - timedelta(days=len(history) - i): n for i, n in enumerate(history)} | {day: today})
    outcome = _outcomes(con, "shop_orders", (day, day))["row_count_bounds"]
    assert outcome.passed is verdict, outcome.detail


def test_row_count_bounds_blocks_only_when_the_shop_opts_in(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    day = date(2026, 5, 20)
    _log_batches(con, {day - timedelta(days=i): 100 for i in range(1, 29)} | {day: 2000})
    window = [day]
    chosen = validate_raw(
        con,
        ENTITY_BY_NAME["shop_orders"],
        window,
        TZ,
        0.05,
        blocks=lambda entity, check: (entity, check) == ("shop_orders", "row_count_bounds"),
    )
    outcome = {o.check_name: o for o in chosen}["row_count_bounds"]
    assert not outcome.passed and outcome.severity == "error"


def test_row_count_bounds_pass_on_a_short_history(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    day = date(2026, 5, 20)
    _log_batches(con, {day - timedelta(days=i): 100 for i in range(1, 7)} | {day: 1})  # 6 earlier days only
    outcome = _outcomes(con, "shop_orders", (day, day))["row_count_bounds"]
    assert outcome.passed, outcome.detail


def test_an_entity_that_stops_delivering_after_28_days_warns_naming_the_day(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    day = date(2026, 5, 20)
    _log_batches(con, {day - timedelta(days=i): 3 for i in range(1, 29)})  # nothing arrives on `day`
    outcome = _outcomes(con, "shop_orders", (day, day + timedelta(days=1)))["delivery_gap"]
    assert not outcome.passed and outcome.severity == "warn"
    assert outcome.failed_partitions == ("2026-05-20",)  # the next day follows a gap: no streak
    assert "no rows arrived, after rows on each of the 28 days before" in outcome.detail


def test_a_gap_after_a_shorter_streak_or_in_an_entity_never_sent_is_quiet(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    day = date(2026, 5, 20)
    _log_batches(con, {day - timedelta(days=i): 3 for i in range(1, 28)})  # 27 days, then a gap
    assert _outcomes(con, "shop_orders", (day, day))["delivery_gap"].passed
    assert _outcomes(con, "shop_refunds", (day, day))["delivery_gap"].passed  # never sent


# --- a clean simulated day passes ---------------------------------------------------------------
# (how fast the gate is: bench/run.py's gate stage and docs/performance.md, not a timed test)


def test_a_clean_simulated_day_of_fifty_thousand_events_passes_every_check(tmp_path):
    from simulator.simulate import simulate

    day = date(2026, 1, 5)
    simulate(tmp_path / "landing", day, 1, scale="small", seed=3)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    ingest_partition(con, tmp_path / "landing", ENTITY_BY_NAME["traffic_events"], day, TZ)
    assert con.execute("SELECT count(*) FROM raw.traffic_events").fetchone()[0] > 35_000
    outcomes = _outcomes(con, "traffic_events", (day, day))
    assert {name: o.detail for name, o in outcomes.items() if not o.passed} == {}
    assert len(outcomes) == len(check_names("traffic_events"))


def test_recording_a_steps_outcomes_again_replaces_that_runs_rows_and_keeps_the_rest():
    from quality.outcome import CheckOutcome
    from quality.results import record_outcomes

    con = duckdb.connect()

    def outcome(name: str, passed: bool, rows: int | None) -> CheckOutcome:
        return CheckOutcome(name, "raw.shop_orders", "2026-03-01", passed, rows, f"{name} detail")

    record_outcomes(con, "run-a", [outcome("key_unique", True, None), outcome("not_null", False, 3)])
    record_outcomes(con, "run-b", [outcome("key_unique", False, 7)])
    # a retry of run-a's step: its two checks replaced, a third added, run-b untouched
    record_outcomes(
        con, "run-a", [outcome("key_unique", False, 2), outcome("not_null", True, None), outcome("fresh", True, 0)]
    )
    rows = con.execute(
        "SELECT run_id, check_name, passed, rows_affected FROM ops.check_results ORDER BY run_id, check_name"
    ).fetchall()
    assert rows == [
        ("run-a", "raw.shop_orders:fresh", True, 0),
        ("run-a", "raw.shop_orders:key_unique", False, 2),
        ("run-a", "raw.shop_orders:not_null", True, None),
        ("run-b", "raw.shop_orders:key_unique", False, 7),
    ]
