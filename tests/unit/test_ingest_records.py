"""Ingest, record level: the rows of the bad-input table of sources.md that quarantine or drop a
record while the rest of the file loads."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ingest import load
from tests.support.landing import (
    DT,
    TZ,
    assert_identity,
    connect,
    csv_text,
    entity,
    ingest,
    jsonl_line,
    log,
    quarantine,
    raw,
    record,
    rel,
    snapshot,
    write_bytes,
    write_csv,
    write_jsonl,
)


def _one_bad(tmp_path, entity_name, bad: dict, fmt="csv"):
    """A file with a valid record, the bad one and another valid record; returns (con, quarantine rows)."""
    landing = tmp_path / "landing"
    key = {
        "shop_orders": "order_id",
        "shop_customers": "customer_id",
        "shop_order_items": "line_number",
        "traffic_events": "event_id",
        "service_events": "event_id",
        "finance_fx_rates": "currency",
        "shop_products": "product_id",
        "shop_payments": "payment_id",
        "shop_refunds": "refund_id",
        "marketing_spend": "campaign",
        "shop_inventory": "product_id",
        "plan_targets": "value",  # (a changed key would break the month pattern or the metric enum)
    }[entity_name]
    first = record(entity_name)
    last = record(entity_name, **{key: "9"})
    records = [first, record(entity_name, **bad), last]
    if fmt == "csv":
        write_csv(landing, entity_name, records, name="part.csv")
    else:
        write_jsonl(landing, entity_name, records, name="part.jsonl")
    con = connect(tmp_path)
    [res] = ingest(con, landing, entity_name)
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined, res.rows_duplicate) == (3, 2, 1, 0)
    assert_identity(con)
    q = quarantine(con, entity_name)
    assert len(q) == 1
    assert q[0]["line_number"] == (3 if fmt == "csv" else 2)  # CSV: header is line 1
    assert q[0]["raw_text"] == (csv_text(records).splitlines()[2] if fmt == "csv" else jsonl_line(records[1]))
    assert q[0]["file"] == rel(entity_name, "part." + fmt)
    assert q[0]["entity"] == entity_name and q[0]["batch_dt"] == DT
    return con, q[0]


def test_malformed_json_line(tmp_path):
    landing = tmp_path / "landing"
    good = jsonl_line(record("traffic_events"))
    broken = '{"event_id": "e-2", "event_ts": '
    write_jsonl(
        landing, "traffic_events", [good, broken, "[1, 2]", jsonl_line(record("traffic_events", event_id="e-3"))]
    )
    con = connect(tmp_path)
    [res] = ingest(con, landing, "traffic_events")
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (4, 2, 2)
    q = quarantine(con, "traffic_events")
    assert [(r["line_number"], r["reason"], r["raw_text"]) for r in q] == [
        (2, "malformed", broken),
        (3, "malformed", "[1, 2]"),
    ]
    assert q[0]["detail"] == "invalid JSON" and q[1]["detail"] == "valid JSON but not an object"
    assert q[0]["file"] == rel("traffic_events", "part-0.jsonl")
    assert_identity(con)


def test_csv_row_with_wrong_number_of_fields(tmp_path):
    landing = tmp_path / "landing"
    text = csv_text([record("shop_orders"), record("shop_orders", order_id="o-2")])
    lines = text.splitlines()
    extra, short, quote = lines[1] + ",surplus", lines[2].rsplit(",", 1)[0], '"o-3,' + lines[2]
    write_bytes(landing, "shop_orders", "orders.csv", "\n".join([lines[0], extra, lines[1], short, quote]).encode())
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_orders")
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (4, 1, 3)
    q = quarantine(con, "shop_orders")
    assert [(r["line_number"], r["reason"], r["raw_text"]) for r in q] == [
        (2, "malformed", extra),
        (4, "malformed", short),
        (5, "malformed", quote),
    ]
    assert q[0]["detail"] == "expected 20 fields, found 21"
    assert q[1]["detail"] == "expected 20 fields, found 19"
    assert "quote" in q[2]["detail"]
    assert raw(con, "shop_orders", "_line") == [{"_line": 3}]
    assert_identity(con)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_missing_required_field(tmp_path, fmt):
    con, q = _one_bad(tmp_path, "shop_orders", {"order_id": "o-2", "customer_id": None}, fmt)
    assert q["reason"] == "missing_required"
    assert "customer_id" in q["detail"]
    assert "o-2" in q["raw_text"]


def test_missing_required_key_absent_from_json(tmp_path):
    landing = tmp_path / "landing"
    rec = record("traffic_events", event_id="e-2")
    del rec["session_id"]
    write_jsonl(landing, "traffic_events", [record("traffic_events"), rec, {**rec, "session_id": ""}])
    con = connect(tmp_path)
    ingest(con, landing, "traffic_events")
    q = quarantine(con, "traffic_events")
    assert [(r["line_number"], r["reason"]) for r in q] == [(2, "missing_required"), (3, "missing_required")]
    assert q[0]["raw_text"] == jsonl_line(rec)
    assert_identity(con)


@pytest.mark.parametrize(
    "entity_name, field, value",
    [
        ("shop_customers", "birth_year", "nineteen"),
        ("shop_order_items", "quantity", "2.5"),
        ("shop_products", "is_active", "yes"),
        ("shop_orders", "total_amount", "98,00"),
        ("marketing_spend", "date", "2026/03/01"),
        ("shop_orders", "created_at", "yesterday"),
        ("shop_orders", "created_at", "2026-02-30T09:00:00+08:00"),
    ],
)
def test_bad_type(tmp_path, entity_name, field, value):
    con, q = _one_bad(tmp_path, entity_name, {field: value})
    assert q["reason"] == "bad_type"
    assert q["detail"].startswith(f"{field}: '{value}' is not")


def test_unknown_enum_quarantined_but_unknown_event_name_kept(tmp_path):
    con, q = _one_bad(tmp_path, "shop_orders", {"order_id": "o-2", "status": "refunded"})
    assert q["reason"] == "unknown_enum"
    assert q["detail"] == "status: 'refunded' is not one of pending, paid, shipped, delivered, cancelled"

    landing = tmp_path / "landing2"
    write_jsonl(
        landing,
        "traffic_events",
        [
            record("traffic_events", event_name="scroll_depth"),
            record("traffic_events", event_id="e-2", page_type="basket"),
        ],
    )
    [res] = ingest(con, landing, "traffic_events")
    assert (res.rows_loaded, res.rows_quarantined) == (1, 1)
    assert raw(con, "traffic_events", "event_name") == [{"event_name": "scroll_depth"}]
    assert quarantine(con, "traffic_events")[0]["reason"] == "unknown_enum"
    assert_identity(con)


def test_timestamp_without_offset(tmp_path):
    con, q = _one_bad(tmp_path, "shop_payments", {"updated_at": "2026-03-01T09:00:00"})
    assert q["reason"] == "no_offset"
    assert q["detail"] == "updated_at: '2026-03-01T09:00:00' has no UTC offset"


def test_offset_forms_accepted(tmp_path):
    landing = tmp_path / "landing"
    stamps = [
        "2026-03-01T09:00:00Z",
        "2026-03-01T09:00:00+08:00",
        "2026-03-01T09:00:00+0800",
        "2026-03-01 09:00:00.123456-05:00",
        "2026-03-01T09:00Z",
    ]
    write_csv(
        landing,
        "shop_payments",
        [record("shop_payments", payment_id=f"p{i}", created_at=s) for i, s in enumerate(stamps)],
    )
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_payments")
    assert res.rows_loaded == len(stamps)
    got = [g for (g,) in con.execute("SELECT created_at FROM raw.shop_payments ORDER BY _line").fetchall()]
    want = [datetime.fromisoformat(s.replace(" ", "T")) for s in stamps]
    assert got == want


def test_negative_amount(tmp_path):
    con, q = _one_bad(tmp_path, "shop_orders", {"order_id": "o-2", "discount_amount": "-1.50"})
    assert q["reason"] == "negative_amount"
    assert q["detail"] == "discount_amount: '-1.50' is negative"


@pytest.mark.parametrize(
    "entity_name, field, value, ok",
    [
        ("shop_order_items", "quantity", "0", False),
        ("shop_order_items", "line_number", "0", False),
        ("shop_customers", "birth_year", "1899", False),
        ("shop_customers", "birth_year", "1900", True),
        ("shop_customers", "birth_year", "2026", True),  # the year of the batch day
        ("shop_customers", "birth_year", "2027", False),
        ("service_events", "csat_score", "6", False),
        ("service_events", "csat_score", "0", False),
        ("service_events", "csat_score", "5", True),
        ("finance_fx_rates", "rate_to_base", "0", False),
        ("finance_fx_rates", "rate_to_base", "-7.1", False),
        ("traffic_events", "page_load_ms", "-1", False),
        ("marketing_spend", "clicks", "-1", False),
    ],
)
def test_out_of_range(tmp_path, entity_name, field, value, ok):
    landing = tmp_path / "landing"
    write_csv(landing, entity_name, [record(entity_name, **{field: value})])
    con = connect(tmp_path)
    [res] = ingest(con, landing, entity_name)
    assert res.rows_loaded == (1 if ok else 0)
    if not ok:
        [q] = quarantine(con, entity_name)
        assert (q["reason"], q["line_number"]) == ("out_of_range", 2)
        assert q["detail"].startswith(f"{field}: '{value}' is ")


def test_future_timestamp_boundary(tmp_path):
    """dt 2026-03-01 in Asia/Shanghai: the cutoff is 2026-03-03 00:00 +08:00 (= 2026-03-02 16:00Z)."""
    landing = tmp_path / "landing"
    stamps = {
        "in-1": ("2026-03-02T23:59:59.999+08:00", True),
        "in-2": ("2026-03-02T15:59:59Z", True),
        "late": ("2026-02-20T10:00:00+08:00", True),  # late data is fine
        "out-1": ("2026-03-03T00:00:00+08:00", False),
        "out-2": ("2026-03-02T16:00:00Z", False),
        "out-3": ("2027-01-01T00:00:00Z", False),
    }
    write_jsonl(
        landing, "traffic_events", [record("traffic_events", event_id=k, event_ts=v) for k, (v, _) in stamps.items()]
    )
    con = connect(tmp_path)
    ingest(con, landing, "traffic_events")
    assert sorted(r["event_id"] for r in raw(con, "traffic_events")) == sorted(k for k, (_, ok) in stamps.items() if ok)
    q = quarantine(con, "traffic_events")
    assert [r["reason"] for r in q] == ["future_timestamp"] * 3
    assert q[0]["detail"].startswith(
        "event_ts: '2026-03-03T00:00:00+08:00' is at or after 2026-03-03 00:00 Asia/Shanghai"
    )


def test_future_timestamp_follows_reporting_zone(tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing, "shop_payments", [record("shop_payments", updated_at="2026-03-02T20:00:00Z")])
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_payments", tz="Asia/Shanghai")  # cutoff 2026-03-02 16:00Z
    assert res.rows_quarantined == 1
    [res] = ingest(con, landing, "shop_payments", tz="America/New_York")  # cutoff 2026-03-03 05:00Z
    assert res.rows_loaded == 1 and quarantine(con, "shop_payments") == []


def test_first_failing_reason_wins(tmp_path):
    """Reasons are decided in contract.REASONS order, not field order."""
    con, q = _one_bad(
        tmp_path,
        "shop_orders",
        {
            "order_id": "o-2",
            "created_at": "2030-01-01T00:00:00Z",
            "status": "lost",
            "total_amount": "x",
            "ship_country": None,
        },
    )
    assert q["reason"] == "missing_required" and "ship_country" in q["detail"]


def test_exact_duplicates_within_a_batch(tmp_path):
    landing = tmp_path / "landing"
    a, b = record("traffic_events"), record("traffic_events", event_id="e-2")
    write_jsonl(landing, "traffic_events", [a, b, a, a], name="a.jsonl")
    write_jsonl(landing, "traffic_events", [b, record("traffic_events", event_id="e-3")], name="b.jsonl.gz")
    con = connect(tmp_path)
    res = ingest(con, landing, "traffic_events")
    assert [(r.file.rsplit("/", 1)[1], r.rows_read, r.rows_loaded, r.rows_duplicate) for r in res] == [
        ("a.jsonl", 4, 2, 2),
        ("b.jsonl.gz", 2, 1, 1),
    ]
    # the first occurrence (file name order, then line order) is the one kept
    assert [(r["event_id"], r["_line"]) for r in raw(con, "traffic_events")] == [("e-1", 1), ("e-2", 2), ("e-3", 2)]
    assert_identity(con)


def test_duplicate_judged_on_typed_values(tmp_path):
    """`98.0` and `98.00`, `Z` and `+00:00` are the same typed value: an exact duplicate."""
    landing = tmp_path / "landing"
    write_csv(
        landing,
        "shop_payments",
        [
            record("shop_payments", amount="98.0", created_at="2026-03-01T01:00:00Z"),
            record("shop_payments", amount="98.00", created_at="2026-03-01T09:00:00+08:00"),
        ],
    )
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_payments")
    assert (res.rows_loaded, res.rows_duplicate) == (1, 1)


def test_exact_duplicate_across_batches_and_changed_key_kept(tmp_path):
    landing = tmp_path / "landing"
    day1, day2 = date(2026, 3, 1), date(2026, 3, 2)
    v1 = record("shop_orders")
    v2 = record("shop_orders", status="shipped", updated_at="2026-03-02T10:00:00+08:00")
    write_csv(landing, "shop_orders", [v1], dt=day1)
    write_csv(landing, "shop_orders", [v1, v2], dt=day2)  # v1 re-sent, v2 a change of the same key
    con = connect(tmp_path)
    ingest(con, landing, "shop_orders", dt=day1)
    [res] = ingest(con, landing, "shop_orders", dt=day2)
    assert (res.rows_read, res.rows_loaded, res.rows_duplicate) == (2, 1, 1)
    assert [(r["order_id"], r["status"], r["_batch_dt"]) for r in raw(con, "shop_orders")] == [
        ("o-1", "paid", day1),
        ("o-1", "shipped", day2),
    ]
    # only earlier batches count: re-ingesting day 1 does not see day 2
    [res1] = ingest(con, landing, "shop_orders", dt=day1)
    assert (res1.rows_loaded, res1.rows_duplicate) == (1, 0)
    assert_identity(con)


def test_same_key_different_content_kept_within_batch(tmp_path):
    landing = tmp_path / "landing"
    write_csv(
        landing,
        "shop_customers",
        [
            record("shop_customers"),
            record("shop_customers", city="Beijing", updated_at="2026-03-01T12:00:00+08:00"),
        ],
    )
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_customers")
    assert (res.rows_loaded, res.rows_duplicate) == (2, 0)
    assert [r["city"] for r in raw(con, "shop_customers")] == ["Shanghai", "Beijing"]


def test_blank_lines_are_not_records_and_keep_numbering(tmp_path):
    landing = tmp_path / "landing"
    a = jsonl_line(record("traffic_events"))
    b = jsonl_line(record("traffic_events", event_id="e-2", platform="tv"))
    write_bytes(landing, "traffic_events", "x.jsonl", f"\n{a}\r\n   \n\n{b}\n\n".encode())
    con = connect(tmp_path)
    [res] = ingest(con, landing, "traffic_events")
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (2, 1, 1)
    assert raw(con, "traffic_events", "_line") == [{"_line": 2}]
    [q] = quarantine(con, "traffic_events")
    assert (q["line_number"], q["raw_text"]) == (5, b)


def test_detail_quotes_long_values_shortened(tmp_path):
    con, q = _one_bad(tmp_path, "shop_orders", {"order_id": "o-2", "status": "x" * 500})
    assert q["reason"] == "unknown_enum"
    assert len(q["detail"]) < 300 and "..." in q["detail"]
    assert "x" * 500 in q["raw_text"]


@pytest.mark.parametrize("entity_name", ["shop_order_items", "marketing_spend", "finance_fx_rates", "shop_customers"])
def test_duplicates_with_every_key_shape(tmp_path, entity_name):
    """Composite keys too: the duplicate test compares the row hash and the key."""
    landing = tmp_path / "landing"
    rec = record(entity_name)
    write_csv(landing, entity_name, [rec, rec], dt=date(2026, 3, 1))
    write_jsonl(landing, entity_name, [rec], dt=date(2026, 3, 2))
    con = connect(tmp_path)
    [day1] = ingest(con, landing, entity_name, dt=date(2026, 3, 1))
    [day2] = ingest(con, landing, entity_name, dt=date(2026, 3, 2))
    assert (day1.rows_loaded, day1.rows_duplicate) == (1, 1)
    assert (day2.rows_loaded, day2.rows_duplicate) == (0, 1)
    assert_identity(con)


@pytest.mark.parametrize("chunk_rows", [1, 4, 1_000])
def test_a_window_loaded_in_chunks_equals_loading_day_by_day(tmp_path, monkeypatch, chunk_rows):
    """ingest_window checks several batch days in one statement (~_CHUNK_ROWS rows): whatever the
    chunking, raw, quarantine and log are those of loading each day on its own, in date order."""
    landing = tmp_path / "landing"
    days = [date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    a = record("traffic_events", event_id="e-a", event_ts="2025-12-30T10:00:00+08:00")
    late = record("traffic_events", event_id="e-late", event_ts="2026-01-01T18:00:00Z")  # 2026-01-02 02:00 +08
    write_jsonl(
        landing,
        "traffic_events",
        [a, record("traffic_events", event_id="e-b", event_ts="2025-12-30T11:00:00+08:00")],
        dt=days[0],
    )
    write_jsonl(landing, "traffic_events", [a, late], dt=days[1])  # a re-sent; late is future for this day only
    write_jsonl(
        landing, "traffic_events", [late, record("traffic_events", event_id="e-c", page_load_ms="-1")], dt=days[2]
    )
    write_csv(
        landing,
        "traffic_events",
        [record("traffic_events", event_id="e-d", event_ts="2026-01-02T09:00:00+08:00")],
        name="part-1.csv",
        dt=days[3],
    )
    write_jsonl(landing, "traffic_events", [a], name="part-2.jsonl", dt=days[3])
    # customers: a birth year of 2026 is in range from the first batch day of 2026 on
    for dt in days:
        write_csv(
            landing,
            "shop_customers",
            [
                record(
                    "shop_customers",
                    customer_id=f"c-{dt:%d}",
                    birth_year="2026",
                    signup_at="2025-06-01T10:00:00+08:00",
                    updated_at=f"{dt.isoformat()}T08:00:00+08:00",
                )
            ],
            dt=dt,
        )
    one_by_one = tmp_path / "daily"
    one_by_one.mkdir()
    con = connect(one_by_one)
    for name in ("traffic_events", "shop_customers"):
        for dt in days:
            ingest(con, landing, name, dt=dt)
    expected = snapshot(con)
    con.close()
    monkeypatch.setattr(load, "_CHUNK_ROWS", chunk_rows)
    con = connect(tmp_path)
    for name in ("traffic_events", "shop_customers"):
        load.ingest_window(con, landing, entity(name), days, TZ)
    assert snapshot(con) == expected
    assert_identity(con)
    # what the days say, worked out by hand
    assert [(r["event_id"], r["_batch_dt"]) for r in raw(con, "traffic_events")] == [
        ("e-a", days[0]),
        ("e-b", days[0]),
        ("e-late", days[2]),
        ("e-d", days[3]),
    ]
    assert [(r["batch_dt"], r["reason"]) for r in quarantine(con, "traffic_events")] == [
        (days[1], "future_timestamp"),
        (days[2], "out_of_range"),
    ]
    assert [(r["batch_dt"], r["rows_duplicate"]) for r in log(con, "traffic_events") if r["rows_duplicate"]] == [
        (days[1], 1),
        (days[3], 1),
    ]
    assert [(r["batch_dt"], r["reason"]) for r in quarantine(con, "shop_customers")] == [
        (days[0], "out_of_range"),
        (days[1], "out_of_range"),
    ]
    assert quarantine(con, "shop_customers")[0]["detail"] == "birth_year: '2026' is outside 1900..2025"


def test_a_rejected_file_late_in_a_window_keeps_the_chunks_loaded_before_it(tmp_path, monkeypatch):
    """Chunks are written while the next one is checked (ingest.load.ingest_window): when a batch
    day has a rejected file, the days before it stand, exactly as if loaded day by day, and
    nothing of that day or later is loaded."""
    landing = tmp_path / "landing"
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3), date(2026, 1, 4)]
    for i, dt in enumerate(days):
        write_jsonl(
            landing,
            "traffic_events",
            [
                record("traffic_events", event_id=f"e-{i}", event_ts=f"{dt.isoformat()}T10:00:00+08:00"),
                record("traffic_events", event_id="e-0", event_ts="2026-01-01T10:00:00+08:00"),
            ],
            dt=dt,
        )
    write_bytes(landing, "traffic_events", "part-1.jsonl", b'{"event_id": "\xe3"}\n', dt=days[2])
    monkeypatch.setattr(load, "_CHUNK_ROWS", 1)  # one chunk per day: day 2 is being written when day 3 is read
    con = connect(tmp_path)
    with pytest.raises(load.FileRejected) as info:
        load.ingest_window(con, landing, entity("traffic_events"), days, TZ)
    assert (
        str(info.value) == f"{rel('traffic_events', 'part-1.jsonl', days[2])}: not UTF-8 (invalid byte 0xe3 on line 1)"
    )
    assert [(r["event_id"], r["_batch_dt"]) for r in raw(con, "traffic_events")] == [("e-0", days[0]), ("e-1", days[1])]
    assert [
        (r["batch_dt"], r["status"], r["rows_loaded"], r["rows_duplicate"]) for r in log(con, "traffic_events")
    ] == [(days[0], "loaded", 1, 1), (days[1], "loaded", 1, 1), (days[2], "rejected", 0, 0)]
    assert_identity(con)


# --------------------------------------------------------------------------- second edition of the contract


@pytest.mark.parametrize(
    "entity_name, bad, reason, detail",
    [
        ("shop_orders", {"promised_delivery_date": "2026/03/04"}, "bad_type", "is not a date"),
        ("shop_inventory", {"warehouse_id": None}, "missing_required", "warehouse_id"),
        ("shop_inventory", {"on_hand": None}, "missing_required", "on_hand"),
        ("shop_inventory", {"on_hand": "-1"}, "out_of_range", "below the minimum 0"),
        ("shop_inventory", {"inbound": "-3"}, "out_of_range", "below the minimum 0"),
        ("shop_inventory", {"on_hand": "2.5"}, "bad_type", "is not an integer"),
        ("shop_inventory", {"date": "2026-03-01T00:00:00+08:00"}, "bad_type", "is not a date"),
        ("plan_targets", {"month": "2026-13"}, "bad_type", "is not a month (YYYY-MM)"),
        ("plan_targets", {"month": "2026-03-01"}, "bad_type", "is not a month (YYYY-MM)"),
        ("plan_targets", {"metric": "profit"}, "unknown_enum", "is not one of gmv,"),
        ("plan_targets", {"value": "-5"}, "negative_amount", "is negative"),
        ("plan_targets", {"updated_at": "2026-03-01T09:00:00"}, "no_offset", "has no UTC offset"),
        ("plan_targets", {"channel": "paid_search"}, "out_of_range", "only targets of sessions, new_customers"),
    ],
)
def test_second_edition_bad_rows_quarantine_with_their_reason(tmp_path, entity_name, bad, reason, detail):
    _, q = _one_bad(tmp_path, entity_name, bad)
    assert q["reason"] == reason and detail in q["detail"], q["detail"]


@pytest.mark.parametrize("metric", ["sessions", "new_customers", "spend", "attributed_revenue"])
def test_a_channel_target_loads_for_the_channel_metrics(tmp_path, metric):
    landing = tmp_path / "landing"
    write_csv(landing, "plan_targets", [record("plan_targets", metric=metric, channel="paid_search", value="0.5")])
    con = connect(tmp_path)
    [res] = ingest(con, landing, "plan_targets")
    assert (res.rows_loaded, res.rows_quarantined) == (1, 0)
    assert raw(con, "plan_targets", "metric, channel")[0] == {"metric": metric, "channel": "paid_search"}


def test_orders_without_the_optional_logistics_fields_load(tmp_path):
    """A shop that never sends carrier or promised_delivery_date: the columns may be absent."""
    landing = tmp_path / "landing"
    rec = {k: v for k, v in record("shop_orders").items() if k not in ("carrier", "promised_delivery_date")}
    write_csv(landing, "shop_orders", [rec, {**rec, "order_id": "o-2"}])
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_orders")
    assert (res.rows_loaded, res.rows_quarantined, res.extra_columns) == (2, 0, ())
    assert {(r["carrier"], r["promised_delivery_date"]) for r in raw(con, "shop_orders")} == {(None, None)}


def test_a_resent_inventory_row_is_kept_for_the_model_layer_and_an_identical_one_dropped(tmp_path):
    """A snapshot re-sent in a later batch with a new count is loaded (stg_shop__inventory keeps
    the later one); re-sent unchanged, it is an exact duplicate."""
    landing = tmp_path / "landing"
    day1, day2 = date(2026, 3, 1), date(2026, 3, 2)
    first = record("shop_inventory")
    other = record("shop_inventory", warehouse_id="WH-GZ", on_hand="7")
    write_csv(landing, "shop_inventory", [first, other], dt=day1)
    write_csv(landing, "shop_inventory", [record("shop_inventory", on_hand="118"), other], dt=day2)
    con = connect(tmp_path)
    ingest(con, landing, "shop_inventory", dt=day1)
    [res] = ingest(con, landing, "shop_inventory", dt=day2)
    assert (res.rows_read, res.rows_loaded, res.rows_duplicate) == (2, 1, 1)
    got = [(r["warehouse_id"], r["on_hand"], r["_batch_dt"]) for r in raw(con, "shop_inventory")]
    assert sorted(got) == [("WH-GZ", 7, day1), ("WH-SH", 118, day2), ("WH-SH", 120, day1)]
    assert_identity(con)


def test_targets_change_capture_and_whole_shop_duplicates(tmp_path):
    """A revised target (later updated_at) is kept beside the first version; an unchanged whole-shop
    target (channel null: part of the key) re-sent in a later batch is an exact duplicate."""
    landing = tmp_path / "landing"
    day1, day2 = date(2026, 3, 1), date(2026, 3, 2)
    v1 = record("plan_targets")
    v2 = record("plan_targets", value="1600000", updated_at="2026-03-02T10:00:00+08:00")
    write_csv(landing, "plan_targets", [v1], dt=day1)
    write_csv(landing, "plan_targets", [v1, v2], dt=day2)
    con = connect(tmp_path)
    ingest(con, landing, "plan_targets", dt=day1)
    [res] = ingest(con, landing, "plan_targets", dt=day2)
    assert (res.rows_read, res.rows_loaded, res.rows_duplicate) == (2, 1, 1)
    assert [(str(r["value"]), r["_batch_dt"]) for r in raw(con, "plan_targets")] == [
        ("1500000.0000", day1),
        ("1600000.0000", day2),
    ]
    assert_identity(con)
