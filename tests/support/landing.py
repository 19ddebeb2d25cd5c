"""Helpers for ingest tests: small landing files in tmp_path and a look at what ingest wrote."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.contract import ENTITY_BY_NAME, Entity
from ingest.load import ensure_schema, ingest_partition

TZ = "Asia/Shanghai"
DT = date(2026, 3, 1)
TS = "2026-03-01T09:00:00+08:00"

# One valid record per entity, every value as the text a CSV would carry (None = empty field).
VALID: dict[str, dict[str, str | None]] = {
    "shop_customers": dict(
        customer_id="c-1",
        signup_at="2026-02-01T10:00:00+08:00",
        email="ann@example.com",
        phone="+86 138 0000 0000",
        full_name="Ann Lee",
        birth_year="1990",
        country="CN",
        region="Shanghai",
        city="Shanghai",
        updated_at=TS,
    ),
    "shop_products": dict(
        product_id="p-1",
        title="Tea cup",
        category="kitchen",
        subcategory="cups",
        brand="Acme",
        list_price="59.00",
        unit_cost="20.50",
        currency="CNY",
        launched_at="2025-01-01T00:00:00Z",
        is_active="true",
        updated_at=TS,
    ),
    "shop_orders": dict(
        order_id="o-1",
        customer_id="c-1",
        created_at=TS,
        updated_at="2026-03-01T09:05:00+08:00",
        status="paid",
        platform="web",
        session_id="s-1",
        coupon_code=None,
        currency="CNY",
        items_subtotal="100.00",
        discount_amount="10.00",
        shipping_fee="8.00",
        tax_amount="0.00",
        total_amount="98.00",
        ship_country="CN",
        ship_region="Shanghai",
        device_id="d-1",
        ip_address="10.0.0.1",
        carrier="sf_express",
        promised_delivery_date="2026-03-04",
    ),
    "shop_order_items": dict(
        order_id="o-1", line_number="1", product_id="p-1", quantity="2", unit_price="50.00", discount_amount="0"
    ),
    "shop_payments": dict(
        payment_id="pay-1",
        order_id="o-1",
        method="alipay",
        status="succeeded",
        amount="98.00",
        currency="CNY",
        created_at=TS,
        updated_at=TS,
    ),
    "shop_refunds": dict(
        refund_id="r-1",
        order_id="o-1",
        product_id="p-1",
        quantity="1",
        amount="50.00",
        currency="CNY",
        reason="defective",
        status="requested",
        requested_at=TS,
        updated_at=TS,
    ),
    "traffic_events": dict(
        event_id="e-1",
        event_ts=TS,
        anonymous_id="a-1",
        user_id="c-1",
        session_id="s-1",
        event_name="page_view",
        page_type="home",
        page_url="https://shop.example.com/",
        referrer=None,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring",
        platform="app",
        device_type="mobile",
        country="CN",
        product_id=None,
        search_query=None,
        order_id=None,
        value="12.50",
        currency="CNY",
        page_load_ms="350",
        experiment_id="exp-1",
        variant="B",
        ip_address="10.0.0.2",
    ),
    "service_events": dict(
        event_id="se-1",
        ticket_id="t-1",
        event_ts=TS,
        event_type="ticket_created",
        channel="chat",
        category="shipping",
        priority="normal",
        customer_id="c-1",
        order_id="o-1",
        agent_id=None,
        new_status=None,
        csat_score=None,
    ),
    "marketing_spend": dict(
        date="2026-03-01",
        channel="paid_search",
        campaign="spring",
        impressions="1000",
        clicks="50",
        spend="300.00",
        currency="CNY",
    ),
    "finance_fx_rates": dict(date="2026-03-01", currency="USD", rate_to_base="7.1"),
    "shop_inventory": dict(date="2026-03-01", product_id="p-1", warehouse_id="WH-SH", on_hand="120", inbound="40"),
    "plan_targets": dict(month="2026-03", metric="gmv", channel=None, value="1500000.00", updated_at=TS),
}


def entity(name: str) -> Entity:
    return ENTITY_BY_NAME[name]


def record(entity_name: str, **changes) -> dict[str, str | None]:
    """The valid record of an entity with some fields changed (None = empty)."""
    rec = dict(VALID[entity_name])
    rec.update(changes)
    return rec


def folder(landing: Path, entity_name: str, dt: date = DT) -> Path:
    e = entity(entity_name)
    path = Path(landing) / e.system / e.entity / f"dt={dt.isoformat()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_bytes(landing: Path, entity_name: str, name: str, data: bytes, dt: date = DT) -> Path:
    path = folder(landing, entity_name, dt) / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def rel(entity_name: str, name: str, dt: date = DT) -> str:
    e = entity(entity_name)
    return f"{e.system}/{e.entity}/dt={dt.isoformat()}/{name}"


def csv_text(records: list[dict], columns: list[str] | None = None) -> str:
    """RFC 4180 text with a header (columns: the first record's keys unless given)."""
    columns = columns or list(records[0])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in records:
        w.writerow(["" if r.get(c) is None else r[c] for c in columns])
    return out.getvalue()


def write_csv(landing, entity_name, records, name="part-0.csv", columns=None, dt=DT) -> Path:
    return write_bytes(landing, entity_name, name, csv_text(records, columns).encode(), dt)


def jsonl_line(rec: dict) -> str:
    return json.dumps({k: v for k, v in rec.items()}, ensure_ascii=False)


def write_jsonl(landing, entity_name, records, name="part-0.jsonl", dt=DT) -> Path:
    """Records are dicts (dumped as JSON) or strings (written as they are)."""
    lines = [r if isinstance(r, str) else jsonl_line(r) for r in records]
    return write_bytes(landing, entity_name, name, ("\n".join(lines) + "\n").encode(), dt)


def write_parquet(landing, entity_name, data, name="part-0.parquet", dt=DT) -> Path:
    """`data`: a pyarrow Table, or records (all columns as strings)."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pylist(data)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return write_bytes(landing, entity_name, name, buf.getvalue(), dt)


def connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_schema(con)
    return con


def ingest(con, landing, entity_name, dt=DT, tz=TZ):
    return ingest_partition(con, Path(landing), entity(entity_name), dt, tz)


def rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def quarantine(con, entity_name: str) -> list[dict]:
    return rows(
        con, "SELECT * FROM ops.quarantine WHERE entity = ? ORDER BY batch_dt, file, line_number", [entity_name]
    )


def log(con, entity_name: str) -> list[dict]:
    return rows(con, "SELECT * FROM ops.ingest_log WHERE entity = ? ORDER BY batch_dt, file", [entity_name])


def raw(con, entity_name: str, columns: str = "*") -> list[dict]:
    return rows(con, f"SELECT {columns} FROM raw.{entity_name} ORDER BY _batch_dt, _file, _line")


def assert_identity(con) -> None:
    """rows_read = loaded + quarantined + duplicate for every logged file, and the log agrees with
    the tables."""
    for r in rows(con, "SELECT * FROM ops.ingest_log"):
        assert r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] + r["rows_duplicate"], r
        if r["status"] != "loaded":
            continue
        loaded = con.execute(
            f"SELECT count(*) FROM raw.{r['entity']} WHERE _batch_dt = ? AND _file = ?", [r["batch_dt"], r["file"]]
        ).fetchone()[0]
        quarantined = con.execute(
            "SELECT count(*) FROM ops.quarantine WHERE entity = ? AND batch_dt = ? AND file = ?",
            [r["entity"], r["batch_dt"], r["file"]],
        ).fetchone()[0]
        assert (loaded, quarantined) == (r["rows_loaded"], r["rows_quarantined"]), r


def snapshot(con) -> dict[str, list]:
    """Everything ingest writes, ordered, without ingested_at."""
    out = {}
    for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'raw' ORDER BY 1").fetchall():
        out[f"raw.{name}"] = con.execute(f"SELECT * FROM raw.{name} ORDER BY ALL").fetchall()
    out["ops.quarantine"] = con.execute("SELECT * FROM ops.quarantine ORDER BY ALL").fetchall()
    out["ops.ingest_log"] = con.execute("SELECT * EXCLUDE (ingested_at) FROM ops.ingest_log ORDER BY ALL").fetchall()
    return out
