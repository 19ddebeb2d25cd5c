"""Ingest, file and partition level: formats, whole-file rejection, extra columns, re-ingest."""

from __future__ import annotations

import gzip
import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ingest.contract import ENTITIES, raw_table_ddl
from ingest.load import FileRejected, FileResult, _cancelling, ensure_schema, landed_batch_days
from tests.support.landing import (
    DT,
    TZ,
    VALID,
    assert_identity,
    connect,
    csv_text,
    entity,
    folder,
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
    write_parquet,
)

FIELDS = "* EXCLUDE (_file, _line)"


# --------------------------------------------------------------------------- schema


def test_ensure_schema_is_idempotent_and_matches_design(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    ensure_schema(con)
    tables = {r[0] for r in con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"ops.quarantine", "ops.ingest_log"}
    # the raw layer: one view per entity over the lake beside the database, empty before any load
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'raw'").fetchall()}
    assert views == {e.name for e in ENTITIES}
    assert all(con.execute(f"SELECT count(*) FROM raw.{e.name}").fetchone()[0] == 0 for e in ENTITIES)
    assert (tmp_path / "lake" / "raw").is_dir() and oct((tmp_path / "lake").stat().st_mode & 0o777) == "0o700"


def test_views_are_created_again_only_when_they_change_or_are_missing(tmp_path):
    db = tmp_path / "w.duckdb"

    def opened() -> dict[str, str]:
        """ensure_schema on a new connection: the raw views' statements."""
        con = duckdb.connect(str(db))
        try:
            ensure_schema(con)
            return dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'raw'").fetchall())
        finally:
            con.close()

    first = opened()
    before = db.read_bytes()
    assert opened() == first and db.read_bytes() == before  # opened again: nothing created, nothing written
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW raw.shop_refunds")
    con.close()
    assert opened() == first  # a missing view comes back
    # the lake gains an entity's first files (written by another process): its view now reads them
    assert "read_parquet" not in first["shop_orders"]
    day = tmp_path / "lake" / "raw" / "shop_orders" / "batch_dt=2026-03-01"
    day.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"COPY ({_empty_raw_select('shop_orders')}) TO '{day / 'data_0.parquet'}'")
    con.close()
    assert "read_parquet" in opened()["shop_orders"]


def _empty_raw_select(name: str) -> str:
    from ingest.lake import view_sql

    entity = next(e for e in ENTITIES if e.name == name)
    # the contract's columns without the batch day (a folder of the file's path), no row
    return f"SELECT * EXCLUDE (_batch_dt) FROM ({view_sql(Path('/nowhere'), entity).split(' AS ', 1)[1]})"


def test_a_working_database_from_before_the_lake_keeps_its_raw_rows(tmp_path):
    """Raw tables of an earlier version move into the lake at the first ensure_schema: the same
    rows through the view, one folder per batch day, no raw table left."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA raw")
    for e in ENTITIES:
        con.execute(raw_table_ddl(e))
    con.execute(
        "INSERT INTO raw.shop_orders (order_id, status, _batch_dt, _file, _line, _row_hash) VALUES "
        "('o1', 'paid', DATE '2026-01-02', 'shop/orders/dt=2026-01-02/a.csv', 2, 7), "
        "('o2', NULL, DATE '2026-01-03', 'shop/orders/dt=2026-01-03/a.csv', 2, 8)"
    )
    before = con.execute("SELECT * FROM raw.shop_orders ORDER BY ALL").fetchall()
    ensure_schema(con)
    assert con.execute("SELECT * FROM raw.shop_orders ORDER BY ALL").fetchall() == before
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'").fetchone() == (0,)
    days = sorted(p.parent.name for p in (tmp_path / "lake" / "raw" / "shop_orders").glob("*/*.parquet"))
    assert days == ["batch_dt=2026-01-02", "batch_dt=2026-01-03"]
    cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'ops' "
        "AND table_name = 'ingest_log' ORDER BY column_index"
    ).fetchall()
    assert cols == [
        ("entity", "VARCHAR"),
        ("batch_dt", "DATE"),
        ("file", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("rows_loaded", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("rows_duplicate", "BIGINT"),
        ("extra_columns", "VARCHAR[]"),
        ("status", "VARCHAR"),
        ("error", "VARCHAR"),
        ("ingested_at", "TIMESTAMP WITH TIME ZONE"),
    ]
    cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'ops' "
        "AND table_name = 'quarantine' ORDER BY column_index"
    ).fetchall()
    assert cols == [
        ("entity", "VARCHAR"),
        ("batch_dt", "DATE"),
        ("file", "VARCHAR"),
        ("line_number", "BIGINT"),
        ("raw_text", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("detail", "VARCHAR"),
    ]


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("name", ["orders.csv", "orders.csv.gz", "orders.jsonl", "orders.jsonl.gz", "orders.parquet"])
def test_each_format_loads_the_same_typed_rows(tmp_path, name):
    landing = tmp_path / "landing"
    records = [record("shop_orders"), record("shop_orders", order_id="o-2", coupon_code="SPRING", device_id=None)]
    if ".csv" in name:
        write_csv(landing, "shop_orders", records, name=name)
    elif ".jsonl" in name:
        write_jsonl(landing, "shop_orders", records, name=name)
    else:
        write_parquet(landing, "shop_orders", records, name=name)
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_orders")
    assert res == FileResult(
        "shop_orders", DT, rel("shop_orders", name), 2, 2, 0, 0, (), "loaded", None, res.ingested_at
    )
    got = con.execute(f"SELECT {FIELDS} FROM raw.shop_orders ORDER BY _line").fetchall()
    assert got == [
        (
            "o-1",
            "c-1",
            datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
            datetime(2026, 3, 1, 1, 5, tzinfo=UTC),
            "paid",
            "web",
            "s-1",
            None,
            "CNY",
            100,
            10,
            8,
            0,
            98,
            "CN",
            "Shanghai",
            "d-1",
            "10.0.0.1",
            "sf_express",
            date(2026, 3, 4),
            DT,
            got[0][-1],
        ),
        (
            "o-2",
            "c-1",
            datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
            datetime(2026, 3, 1, 1, 5, tzinfo=UTC),
            "paid",
            "web",
            "s-1",
            "SPRING",
            "CNY",
            100,
            10,
            8,
            0,
            98,
            "CN",
            "Shanghai",
            None,
            "10.0.0.1",
            "sf_express",
            date(2026, 3, 4),
            DT,
            got[1][-1],
        ),
    ]
    assert raw(con, "shop_orders", "_line")[0]["_line"] == (2 if ".csv" in name else 1)
    assert_identity(con)


def test_every_entity_loads_its_valid_record_in_any_format(tmp_path):
    landing = tmp_path / "landing"
    for i, name in enumerate(VALID):
        fmt = ["csv", "jsonl.gz", "parquet", "csv.gz", "jsonl"][i % 5]
        rec = record(name)
        if "csv" in fmt:
            write_csv(landing, name, [rec], name=f"x.{fmt}")
        elif "jsonl" in fmt:
            write_jsonl(landing, name, [rec], name=f"x.{fmt}")
        else:
            write_parquet(landing, name, [rec], name=f"x.{fmt}")
    con = connect(tmp_path)
    for name in VALID:
        [res] = ingest(con, landing, name)
        assert (res.rows_read, res.rows_loaded) == (1, 1), (name, quarantine(con, name))
    # the row hash is the same whatever format carried the record
    hashes = {}
    for name in VALID:
        hashes[name] = raw(con, name, "_row_hash")[0]["_row_hash"]
    landing2 = tmp_path / "landing2"
    for name in VALID:
        write_csv(landing2, name, [record(name)])
    con2 = duckdb.connect(str(tmp_path / "w2.duckdb"))
    ensure_schema(con2)
    for name in VALID:
        ingest(con2, landing2, name)
        assert raw(con2, name, "_row_hash")[0]["_row_hash"] == hashes[name]


def test_jsonl_native_types_and_unknown_keys(tmp_path):
    landing = tmp_path / "landing"
    native = {**record("traffic_events"), "value": 12.5, "page_load_ms": 350, "promo": {"code": "X"}}
    write_jsonl(
        landing,
        "traffic_events",
        [
            native,
            {**record("traffic_events", event_id="e-2"), "page_load_ms": 3.5},
            {**record("traffic_events", event_id="e-3"), "zz_top": 1},
        ],
    )
    con = connect(tmp_path)
    [res] = ingest(con, landing, "traffic_events")
    assert (res.rows_loaded, res.rows_quarantined) == (2, 1)
    assert res.extra_columns == ("promo", "zz_top")
    assert log(con, "traffic_events")[0]["extra_columns"] == ["promo", "zz_top"]
    r = raw(con, "traffic_events")[0]
    assert (float(r["value"]), r["page_load_ms"]) == (12.5, 350)
    assert quarantine(con, "traffic_events")[0]["reason"] == "bad_type"  # 3.5 is not an int


def test_parquet_typed_columns(tmp_path):
    landing = tmp_path / "landing"
    utc = UTC
    table = pa.table(
        {
            "customer_id": ["c-1", "c-2", "c-3"],
            "signup_at": pa.array([datetime(2026, 2, 1, 2, 0, tzinfo=utc)] * 3, pa.timestamp("us", tz="UTC")),
            "birth_year": pa.array([1990.0, None, 1991.5]),  # pandas-style float ints
            "country": ["CN", "CN", "CN"],
            "updated_at": pa.array(
                [datetime(2026, 3, 1, 1, 0), datetime(2026, 3, 1, 1, 0), datetime(2026, 3, 1, 1, 0)], pa.timestamp("ms")
            ),  # no time zone: an instant is unknown
            "loyalty": [1, 2, 3],
        }
    )
    table = table.set_column(
        4,
        "updated_at",
        pa.array(
            [datetime(2026, 3, 1, 1, 0, tzinfo=utc), None, datetime(2026, 3, 1, 1, 0, tzinfo=utc)],
            pa.timestamp("ms", tz="Asia/Shanghai"),
        ),
    )
    write_parquet(landing, "shop_customers", table, name="a.parquet")
    naive = table.set_column(4, "updated_at", pa.array([datetime(2026, 3, 1, 1, 0)] * 3, pa.timestamp("ms")))
    write_parquet(landing, "shop_customers", naive.slice(0, 1), name="b.parquet")
    con = connect(tmp_path)
    res = ingest(con, landing, "shop_customers")
    assert [(r.rows_read, r.rows_loaded, r.rows_quarantined, r.extra_columns) for r in res] == [
        (3, 1, 2, ("loyalty",)),
        (1, 0, 1, ("loyalty",)),
    ]
    [loaded] = raw(con, "shop_customers")
    assert (loaded["customer_id"], loaded["birth_year"], loaded["updated_at"]) == (
        "c-1",
        1990,
        datetime(2026, 3, 1, 1, 0, tzinfo=utc),
    )
    q = quarantine(con, "shop_customers")
    assert [(r["file"].rsplit("/", 1)[1], r["line_number"], r["reason"]) for r in q] == [
        ("a.parquet", 2, "missing_required"),
        ("a.parquet", 3, "bad_type"),
        ("b.parquet", 1, "no_offset"),
    ]
    assert json.loads(q[0]["raw_text"])["customer_id"] == "c-2"
    assert_identity(con)


def test_missing_optional_columns_are_null(tmp_path):
    landing = tmp_path / "landing"
    rec = {k: v for k, v in record("shop_customers").items() if k not in ("email", "phone", "birth_year")}
    write_csv(landing, "shop_customers", [rec])
    write_jsonl(landing, "shop_customers", [{**rec, "customer_id": "c-2"}])
    con = connect(tmp_path)
    assert [r.rows_loaded for r in ingest(con, landing, "shop_customers")] == [1, 1]
    assert (
        raw(con, "shop_customers", "email, phone, birth_year")
        == [{"email": None, "phone": None, "birth_year": None}] * 2
    )


def test_csv_quoting_rfc4180(tmp_path):
    landing = tmp_path / "landing"
    title = 'Mug "Classic", 350ml'
    write_csv(landing, "shop_products", [record("shop_products", title=title, brand="  spaced  ")])
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_products")
    assert res.rows_loaded == 1
    assert raw(con, "shop_products", "title, brand") == [{"title": title, "brand": "  spaced  "}]


def test_csv_quoted_field_spanning_lines_is_malformed(tmp_path):
    landing = tmp_path / "landing"
    text = csv_text([record("shop_products", title="two\nlines"), record("shop_products", product_id="p-2")])
    write_bytes(landing, "shop_products", "p.csv", text.encode())
    con = connect(tmp_path)
    [res] = ingest(con, landing, "shop_products")
    assert (res.rows_read, res.rows_loaded, res.rows_quarantined) == (3, 1, 2)
    assert [(q["line_number"], q["reason"]) for q in quarantine(con, "shop_products")] == [
        (2, "malformed"),
        (3, "malformed"),
    ]


# --------------------------------------------------------------------------- extra columns


def test_extra_columns_ignored_and_logged(tmp_path):
    landing = tmp_path / "landing"
    rec = {**record("marketing_spend"), "cpc": "6.00", "notes": "x"}
    write_csv(landing, "marketing_spend", [rec], columns=["notes", *VALID["marketing_spend"], "cpc"])
    write_parquet(landing, "marketing_spend", [{**rec, "campaign": "autumn"}], name="p.parquet")
    con = connect(tmp_path)
    res = ingest(con, landing, "marketing_spend")
    # files in name order: p.parquet, part-0.csv; extra columns in the file's own order
    assert [r.extra_columns for r in res] == [("cpc", "notes"), ("notes", "cpc")]
    assert [r["extra_columns"] for r in log(con, "marketing_spend")] == [["cpc", "notes"], ["notes", "cpc"]]
    assert [r["campaign"] for r in raw(con, "marketing_spend")] == ["autumn", "spring"]
    cols = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'marketing_spend'"
        ).fetchall()
    ]
    assert "cpc" not in cols and "notes" not in cols


# --------------------------------------------------------------------------- whole-file rejection


def test_reads_queued_ahead_are_dropped_when_ingest_stops():
    """After a rejected file the days read ahead are not needed: what is queued never starts."""
    started, release = threading.Event(), threading.Event()

    def read():
        started.set()
        release.wait(5)

    with pytest.raises(FileRejected), _cancelling(ThreadPoolExecutor(1)) as pool:
        running = pool.submit(read)
        queued = pool.submit(lambda: "read")
        started.wait(5)  # the one worker holds `running`: `queued` waits in the pool's queue
        threading.Timer(0.2, release.set).start()  # shutdown cancels `queued`, then waits for `running`
        raise FileRejected("x.csv", "a rejected file", [])
    assert running.done() and not running.cancelled()
    assert queued.cancelled()


def _preloaded(tmp_path):
    """A database where the orders partition of DT already holds one good load."""
    landing = tmp_path / "landing"
    write_csv(landing, "shop_orders", [record("shop_orders")], name="a.csv")
    con = connect(tmp_path)
    ingest(con, landing, "shop_orders")
    return con, landing, snapshot(con)


def _assert_rejected(con, landing, before, name, reason_part, entity_name="shop_orders"):
    with pytest.raises(FileRejected) as info:
        ingest(con, landing, entity_name)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(rel(entity_name, name) + ": ")
    assert reason_part in msg
    after = snapshot(con)
    for table in before:  # nothing of the partition replaced
        if table != "ops.ingest_log":
            assert after[table] == before[table], table
    rejected = [r for r in log(con, entity_name) if r["status"] == "rejected"]
    assert [(r["file"], r["rows_read"], r["rows_loaded"]) for r in rejected] == [(rel(entity_name, name), 0, 0)]
    assert reason_part in rejected[0]["error"]
    loaded = [r for r in after["ops.ingest_log"] if r[8] == "loaded"]
    assert loaded == before["ops.ingest_log"]  # the earlier load's log rows stay
    assert_identity(con)
    return info.value


def _strip(rows):
    return [{k: v for k, v in r.items() if k != "ingested_at"} for r in rows]


def test_non_utf8_file_rejected(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    text = csv_text([record("shop_orders", order_id="o-2", ship_region="S\xe3o Paulo")])
    write_bytes(landing, "shop_orders", "b.csv", text.encode("latin-1"))
    with pytest.raises(FileRejected) as info:
        ingest(con, landing, "shop_orders")
    assert str(info.value) == f"{rel('shop_orders', 'b.csv')}: not UTF-8 (invalid byte 0xe3 on line 2)"
    assert raw(con, "shop_orders", "order_id") == [{"order_id": "o-1"}]
    logged = _strip(log(con, "shop_orders"))
    assert [(r["file"], r["status"], r["error"]) for r in logged] == [
        (rel("shop_orders", "a.csv"), "loaded", None),
        (rel("shop_orders", "b.csv"), "rejected", "not UTF-8 (invalid byte 0xe3 on line 2)"),
    ]
    # failing again does not pile up rejection rows
    with pytest.raises(FileRejected):
        ingest(con, landing, "shop_orders")
    assert len(log(con, "shop_orders")) == 2
    assert_identity(con)


@pytest.mark.parametrize("cut", [1, 9, 200])
def test_truncated_gzip_rejected(tmp_path, cut):
    con, landing, before = _preloaded(tmp_path)
    data = gzip.compress(csv_text([record("shop_orders", order_id=f"o-{i}") for i in range(50)]).encode())
    (folder(landing, "shop_orders") / "b.csv.gz").write_bytes(data[:-cut])
    err = _assert_rejected(con, landing, before, "b.csv.gz", "gzip")
    assert err.reason.startswith(("truncated gzip", "corrupt gzip"))


def test_corrupt_and_empty_gzip_rejected(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    (folder(landing, "shop_orders") / "b.jsonl.gz").write_bytes(b"this is not gzip at all")
    _assert_rejected(con, landing, before, "b.jsonl.gz", "gzip")
    (folder(landing, "shop_orders") / "b.jsonl.gz").write_bytes(b"")
    _assert_rejected(con, landing, before, "b.jsonl.gz", "truncated gzip")


def test_unreadable_parquet_rejected(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    (folder(landing, "shop_orders") / "b.parquet").write_bytes(b"PAR1 but not really a parquet file")
    err = _assert_rejected(con, landing, before, "b.parquet", "unreadable Parquet file")
    assert err.file == rel("shop_orders", "b.parquet")


def test_csv_header_missing_required_columns_rejected(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    columns = [c for c in VALID["shop_orders"] if c not in ("status", "total_amount")]
    write_csv(landing, "shop_orders", [record("shop_orders", order_id="o-2")], name="b.csv", columns=columns)
    err = _assert_rejected(con, landing, before, "b.csv", "header lacks required columns status, total_amount")
    assert str(err) == f"{rel('shop_orders', 'b.csv')}: header lacks required columns status, total_amount"


def test_parquet_missing_required_columns_rejected(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    rec = {k: v for k, v in record("shop_orders").items() if k != "currency"}
    write_parquet(landing, "shop_orders", [rec], name="b.parquet")
    _assert_rejected(con, landing, before, "b.parquet", "lacks required columns currency")


def test_unsupported_file_rejected_markers_ignored(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    (folder(landing, "shop_orders") / "_SUCCESS").write_bytes(b"")
    (folder(landing, "shop_orders") / ".hidden.csv").write_bytes(b"junk")
    assert [r.rows_loaded for r in ingest(con, landing, "shop_orders")] == [1]
    (folder(landing, "shop_orders") / "b.xlsx").write_bytes(b"junk")
    _assert_rejected(con, landing, before, "b.xlsx", "unsupported file type")


def test_rejection_of_one_entity_leaves_others_alone_and_is_cleared_by_a_good_run(tmp_path):
    con, landing, before = _preloaded(tmp_path)
    bad = folder(landing, "shop_orders") / "b.csv"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(FileRejected):
        ingest(con, landing, "shop_orders")
    bad.unlink()
    [res] = ingest(con, landing, "shop_orders")
    assert res.status == "loaded"
    assert [r["status"] for r in log(con, "shop_orders")] == ["loaded"]


def test_several_rejected_files_all_logged(tmp_path):
    landing = tmp_path / "landing"
    write_bytes(landing, "shop_orders", "a.csv", b"\xff")
    write_bytes(landing, "shop_orders", "b.parquet", b"nope")
    con = connect(tmp_path)
    with pytest.raises(FileRejected) as info:
        ingest(con, landing, "shop_orders")
    assert str(info.value).startswith(rel("shop_orders", "a.csv") + ": not UTF-8")
    assert "1 more rejected file" in str(info.value)
    assert [r.file for r in info.value.results] == [rel("shop_orders", "a.csv"), rel("shop_orders", "b.parquet")]
    assert [r["status"] for r in log(con, "shop_orders")] == ["rejected", "rejected"]


# --------------------------------------------------------------------------- partitions


def test_reingest_replaces_partition_identically(tmp_path):
    landing = tmp_path / "landing"
    a, b = record("traffic_events"), record("traffic_events", event_id="e-2", platform="tv")
    write_jsonl(landing, "traffic_events", [a, b, a], name="a.jsonl")
    write_csv(landing, "traffic_events", [record("traffic_events", event_id="e-3")], name="b.csv.gz")
    write_jsonl(landing, "traffic_events", [record("traffic_events", event_id="e-4")], dt=date(2026, 3, 2))
    con = connect(tmp_path)
    ingest(con, landing, "traffic_events")
    ingest(con, landing, "traffic_events", dt=date(2026, 3, 2))
    first = snapshot(con)
    ingest(con, landing, "traffic_events")
    ingest(con, landing, "traffic_events")
    assert snapshot(con) == first
    assert len(first["raw.traffic_events"]) == 3 and len(first["ops.quarantine"]) == 1
    assert len(first["ops.ingest_log"]) == 3
    # changed files: the partition now holds exactly the new content, other days untouched
    (folder(landing, "traffic_events") / "b.csv.gz").unlink()
    write_jsonl(landing, "traffic_events", [a], name="a.jsonl")
    [res] = ingest(con, landing, "traffic_events")
    assert (res.rows_read, res.rows_loaded) == (1, 1)
    assert [(r["event_id"], str(r["_batch_dt"])) for r in raw(con, "traffic_events")] == [
        ("e-1", "2026-03-01"),
        ("e-4", "2026-03-02"),
    ]
    assert quarantine(con, "traffic_events") == []
    assert len(log(con, "traffic_events")) == 2
    assert_identity(con)


def test_missing_folder_is_a_noop_and_empty_folder_empties(tmp_path):
    landing = tmp_path / "landing"
    con = connect(tmp_path)
    assert ingest(con, landing, "shop_orders") == []
    write_csv(landing, "shop_orders", [record("shop_orders")])
    ingest(con, landing, "shop_orders")
    before = snapshot(con)
    assert ingest(con, landing, "shop_orders", dt=date(2026, 3, 9)) == []
    assert snapshot(con) == before
    (folder(landing, "shop_orders") / "part-0.csv").unlink()
    assert ingest(con, landing, "shop_orders") == []
    assert raw(con, "shop_orders") == [] and log(con, "shop_orders") == []


def test_empty_files_load_nothing(tmp_path):
    landing = tmp_path / "landing"
    write_bytes(landing, "shop_orders", "a.csv", b"")
    write_bytes(landing, "shop_orders", "b.csv", ",".join(VALID["shop_orders"]).encode() + b"\n")
    write_bytes(landing, "shop_orders", "c.jsonl", b"\n\n")
    write_bytes(landing, "shop_orders", "d.jsonl.gz", b"")  # write_bytes gzips: a valid empty gzip
    con = connect(tmp_path)
    res = ingest(con, landing, "shop_orders")
    assert [(r.rows_read, r.status) for r in res] == [(0, "loaded")] * 4
    assert len(log(con, "shop_orders")) == 4


def test_landed_batch_days(tmp_path):
    landing = tmp_path / "landing"
    assert landed_batch_days(landing, entity("shop_orders")) == []
    for day in ("2026-03-03", "2026-03-01", "2026-02-28"):
        (landing / "shop/orders" / f"dt={day}").mkdir(parents=True)
    (landing / "shop/orders/dt=latest").mkdir()
    (landing / "shop/orders/notes.txt").write_text("x")
    assert landed_batch_days(landing, entity("shop_orders")) == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 3)]
    assert landed_batch_days(str(landing), entity("shop_payments")) == []


def test_results_mirror_the_log(tmp_path):
    landing = tmp_path / "landing"
    write_jsonl(
        landing, "service_events", [record("service_events"), record("service_events", event_id="x", channel="fax")]
    )
    con = connect(tmp_path)
    [res] = ingest(con, landing, "service_events")
    [row] = log(con, "service_events")
    assert row == {**res.__dict__, "extra_columns": list(res.extra_columns)}


def test_bom_crlf_and_control_characters(tmp_path):
    """A UTF-8 BOM and CRLF line ends are accepted; a unit separator inside a value does not confuse
    the line splitter (it falls back to the strict reader)."""
    landing = tmp_path / "landing"
    text = csv_text([record("shop_products", title="Tea\x1fcup"), record("shop_products", product_id="p-2")])
    write_bytes(landing, "shop_products", "a.csv", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    write_bytes(
        landing,
        "shop_products",
        "b.jsonl.gz",
        b"\xef\xbb\xbf" + (jsonl_line(record("shop_products", product_id="p-3")) + "\r\n").encode(),
    )
    con = connect(tmp_path)
    res = ingest(con, landing, "shop_products")
    assert [(r.rows_read, r.rows_loaded) for r in res] == [(2, 2), (1, 1)]
    assert [r["title"] for r in raw(con, "shop_products")] == ["Tea\x1fcup", "Tea cup", "Tea cup"]


def test_reader_fast_and_strict_paths_agree(tmp_path):
    from ingest import reader

    data = "\ufeffa\r\n\n  \nb\rc\n\u00e9\n".encode()
    for gz in (False, True):
        path = tmp_path / ("x.gz" if gz else "x")
        path.write_bytes(gzip.compress(data) if gz else data)
        fast = reader.read_lines(path, gz)
        strict = reader._lines_strict(path.read_bytes(), gz)
        strict = reader.pl.DataFrame({reader.RAW: strict}).with_row_index(reader.LINE, offset=1)
        assert fast.rows() == [(1, "a"), (4, "b\rc"), (5, "\u00e9")]
        assert [r for r in strict.rows() if r[1] and r[1].strip()] == fast.rows()


# --------------------------------------------------------------------------- folders the contract does not know


def test_folders_the_contract_does_not_know_are_logged_not_loaded(tmp_path):
    """sources.md: a folder of an unknown system or entity is not loaded; the ingest log warns and
    names it (markers such as _simulation.json and dot folders are no folders of data)."""
    from ingest import UNKNOWN_FOLDER, log_unknown_folders, unknown_folders

    landing = tmp_path / "landing"
    write_csv(landing, "shop_orders", [record("shop_orders")])
    for path in ("crm/leads/dt=2026-03-01", "shop/wishlists/dt=2026-03-01", ".cache/x", "shop/_tmp"):
        (landing / path).mkdir(parents=True)
    (landing / "crm/leads/dt=2026-03-01/leads.csv").write_text("lead_id\nl-1\n")
    (landing / "_simulation.json").write_text("{}")
    assert unknown_folders(landing) == ["crm", "shop/wishlists"]
    con = connect(tmp_path)
    assert log_unknown_folders(con, landing) == ["crm", "shop/wishlists"]
    ingest(con, landing, "shop_orders")
    logged = con.execute(
        "SELECT entity, batch_dt, file, rows_read, status, error FROM ops.ingest_log WHERE status = ? ORDER BY 1",
        [UNKNOWN_FOLDER],
    ).fetchall()
    assert logged == [
        ("crm", None, "crm/", 0, UNKNOWN_FOLDER, "crm/ is not a system or entity of the contract: not loaded"),
        (
            "shop/wishlists",
            None,
            "shop/wishlists/",
            0,
            UNKNOWN_FOLDER,
            "shop/wishlists/ is not a system or entity of the contract: not loaded",
        ),
    ]
    # logged again, the rows are replaced (a folder removed since is no longer named)
    shutil.rmtree(landing / "crm")
    assert log_unknown_folders(con, landing) == ["shop/wishlists"]
    assert con.execute("SELECT count(*) FROM ops.ingest_log WHERE status = ?", [UNKNOWN_FOLDER]).fetchone() == (1,)
    shutil.rmtree(landing / "shop/wishlists")
    assert log_unknown_folders(con, landing) == []  # none left: the rows go, nothing is added
    assert con.execute("SELECT count(*) FROM ops.ingest_log WHERE status = ?", [UNKNOWN_FOLDER]).fetchone() == (0,)
    assert unknown_folders(tmp_path / "nowhere") == []


def test_an_optional_entity_never_sent_loads_nothing_and_fails_nothing(tmp_path):
    from ingest.contract import OPTIONAL_ENTITIES
    from ingest.load import ingest_window

    assert {"shop_inventory", "plan_targets", "traffic_events"} <= set(OPTIONAL_ENTITIES)
    assert "shop_orders" not in OPTIONAL_ENTITIES
    landing = tmp_path / "landing"
    write_csv(landing, "shop_orders", [record("shop_orders")])
    con = connect(tmp_path)
    for name in ("shop_inventory", "plan_targets"):
        assert ingest_window(con, landing, entity(name), [DT], TZ) == []
        assert con.execute(f"SELECT count(*) FROM raw.{name}").fetchone() == (0,)
