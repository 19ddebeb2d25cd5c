"""The independent reference `kpi_daily` (tests/reference) against the hand-worked `edge_shop` fixture.

The fixture and its expected numbers are also meant for the real pipeline: the lead's
integration test runs the pipeline on `tests/fixtures/edge_shop` and compares `marts.kpi_daily`
with both `EXPECTED` and `compute_kpi_daily`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from tests.fixtures.edge_shop_expected import EXPECTED, EXPECTED_UTC_HOME_US, SERVICE_KPIS, TRAFFIC_KPIS
from tests.reference.compare import TOLERANCE
from tests.reference.compare import mismatches as _mismatches
from tests.reference.kpi_daily import KPI_COLUMNS, compute_kpi_daily
from tests.support.paths import FIXTURES

FIXTURE = FIXTURES / "edge_shop"

# --------------------------------------------------------------------------- the reference


def test_reference_has_the_published_columns_and_one_row_per_day():
    df = compute_kpi_daily(FIXTURE)
    assert tuple(df.columns) == KPI_COLUMNS
    assert df["date"].dtype == pl.Date
    assert df["date"].to_list() == sorted(EXPECTED)
    # every expected day lists every column
    for day, columns in EXPECTED.items():
        assert set(columns) == set(KPI_COLUMNS) - {"date"}, day


def test_reference_reproduces_the_hand_worked_numbers():
    assert _mismatches(compute_kpi_daily(FIXTURE), EXPECTED) == []


def test_reference_in_utc_with_a_us_home_country():
    df = compute_kpi_daily(FIXTURE, tz="UTC", base_currency="CNY", home_country="US")
    assert _mismatches(df, EXPECTED_UTC_HOME_US) == []


def test_absent_traffic_service_and_marketing_give_null_kpis(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing, ignore=shutil.ignore_patterns("traffic", "service", "marketing"))
    df = compute_kpi_daily(landing)
    # the date range now comes from orders alone: still 03-01..03-04
    assert df["date"].to_list() == sorted(EXPECTED)
    for column in TRAFFIC_KPIS + SERVICE_KPIS:
        assert df[column].null_count() == df.height, column
    order_kpis = {
        day: {c: v for c, v in columns.items() if c not in TRAFFIC_KPIS + SERVICE_KPIS}
        for day, columns in EXPECTED.items()
    }
    assert _mismatches(df, order_kpis) == []


def test_an_empty_source_folder_counts_as_absent(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    # traffic/events and service/events exist but hold no partition
    for partition in [*landing.glob("traffic/events/dt=*"), *landing.glob("service/events/dt=*")]:
        shutil.rmtree(partition)
    df = compute_kpi_daily(landing)
    for column in TRAFFIC_KPIS + SERVICE_KPIS:
        assert df[column].null_count() == df.height, column


def test_reference_reads_every_format_of_the_layout(tmp_path):
    """The same records as parquet (typed and all-text), csv.gz, CRLF csv, jsonl.gz and plain jsonl."""
    landing = tmp_path / "landing"
    for src in sorted(p for p in FIXTURE.rglob("*") if p.is_file()):
        rel = src.relative_to(FIXTURE)
        dst = landing / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        name = src.name
        if rel.parts[:2] == ("shop", "orders"):
            # typed parquet: timestamps as instants, money as doubles
            df = (
                pl.read_csv(src, infer_schema=False)
                .with_columns(
                    pl.col(c).str.replace("Z$", "+00:00").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC")
                    for c in ("created_at", "updated_at")
                )
                .with_columns(
                    pl.col(c).cast(pl.Float64)
                    for c in ("items_subtotal", "discount_amount", "shipping_fee", "tax_amount", "total_amount")
                )
            )
            df.write_parquet(dst.with_name(name.replace(".csv", ".parquet")))
        elif rel.parts[:2] == ("shop", "refunds"):
            # all-text parquet
            pl.read_csv(src, infer_schema=False).write_parquet(dst.with_name(name.replace(".csv", ".parquet")))
        elif rel.parts[:2] == ("shop", "order_items"):
            dst.write_bytes(src.read_bytes().replace(b"\n", b"\r\n"))  # CRLF, as RFC 4180 has it
        elif name.endswith(".csv"):
            dst.with_name(name + ".gz").write_bytes(gzip.compress(src.read_bytes()))
        elif rel.parts[0] == "traffic" and name.endswith(".jsonl"):
            pl.read_ndjson(src).write_parquet(dst.with_name(name.replace(".jsonl", ".parquet")))
        elif name.endswith(".jsonl"):
            dst.with_name(name + ".gz").write_bytes(gzip.compress(src.read_bytes()))
        elif name.endswith(".jsonl.gz"):
            dst.with_name(name[: -len(".gz")]).write_bytes(gzip.decompress(src.read_bytes()))
        else:
            raise AssertionError(f"unexpected fixture file {rel}")
    assert compute_kpi_daily(landing).equals(compute_kpi_daily(FIXTURE))


def test_files_that_are_not_landing_formats_are_ignored(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    (landing / "shop" / "orders" / "dt=2026-03-01" / "README.txt").write_text("not data\n")
    (landing / "shop" / "orders" / "dt=2026-03-01" / "orders.csv.bak").write_text("garbage\n")
    assert compute_kpi_daily(landing).equals(compute_kpi_daily(FIXTURE))


def test_partial_history_uses_the_latest_state_so_far(tmp_path):
    """With only batches 1-2 (o4 paid in b2, o6 not yet cancelled, r1 not yet completed)."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing, ignore=shutil.ignore_patterns("dt=2026-03-03", "dt=2026-03-04"))
    rows = {r["date"]: r for r in compute_kpi_daily(landing).iter_rows(named=True)}
    assert sorted(rows) == [date(2026, 3, 1), date(2026, 3, 2)]
    d1, d2 = rows[date(2026, 3, 1)], rows[date(2026, 3, 2)]
    assert (d1["paid_orders"], d1["refunded_amount"]) == (4, 0.0)
    # rate of 03-01 is already the corrected 7.10 (batch 2): 98 + 35 + 27.50*7.10 + 50
    assert d1["gross_revenue"] == pytest.approx(378.25, abs=TOLERANCE)
    assert (d2["paid_orders"], d2["cancelled_orders"], d2["returning_customers"]) == (2, 0, 1)
    # with batch 1 only the 03-01 USD rate is the first one, 7.00
    only_b1 = tmp_path / "b1"
    shutil.copytree(FIXTURE, only_b1, ignore=shutil.ignore_patterns("dt=2026-03-02", "dt=2026-03-03", "dt=2026-03-04"))
    d1 = compute_kpi_daily(only_b1).row(0, named=True)
    # o4 still pending: 98 + 35 + 27.50*7.00 = 325.50
    assert (d1["paid_orders"], d1["gross_revenue"]) == (3, pytest.approx(325.50, abs=TOLERANCE))


# --------------------------------------------------------------------------- the fixture itself


def _records(path: Path) -> tuple[list[str] | None, list[dict]]:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    if ".csv" in path.name:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]
    return None, [json.loads(line) for line in text.splitlines() if line.strip()]


TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_fixture_is_contract_valid_and_complete():
    """Every entity present but the optional ones (the edge shop is also the shop that sends no
    inventory and no targets); every row would load (no quarantine) under sources.md and
    docs/design.md."""
    from ingest.contract import ENTITIES

    problems: list[str] = []
    orders_created: dict[str, date] = {}
    items_batches: list[tuple[str, date, str]] = []
    seen_lines: dict[str, set[str]] = {}
    duplicates = []
    for entity in ENTITIES:
        folder = FIXTURE / entity.folder
        files = sorted(folder.glob("dt=*/*"))
        assert files or entity.optional, f"fixture lacks {entity.folder}"
        for path in files:
            where = path.relative_to(FIXTURE).as_posix()
            batch = date.fromisoformat(path.parent.name[3:])
            limit = datetime.combine(batch + timedelta(days=2), time(), SHANGHAI)
            header, records = _records(path)
            # the contract's columns in its order; a column that is not required may be absent
            # (the edge shop predates the optional logistics columns of orders)
            required = [f.name for f in entity.fields if f.required]
            if header is not None and (
                header != [f for f in entity.field_names if f in header] or not set(required) <= set(header)
            ):
                problems.append(f"{where}: header {header}")
            for n, rec in enumerate(records, start=1):
                line = json.dumps(rec, sort_keys=True)
                if line in seen_lines.setdefault(entity.name, set()):
                    duplicates.append((entity.name, where, rec.get("event_id")))
                seen_lines[entity.name].add(line)
                extra = set(rec) - set(entity.field_names)
                if extra:
                    problems.append(f"{where}:{n} extra fields {extra}")
                for f in entity.fields:
                    value = rec.get(f.name)
                    value = None if value in ("", None) else value
                    if value is None:
                        if f.required:
                            problems.append(f"{where}:{n} missing {f.name}")
                        continue
                    text = str(value)
                    if f.type == "timestamp":
                        if not TS.match(text):
                            problems.append(f"{where}:{n} {f.name}={text!r} not ISO with offset")
                            continue
                        if _instant(text) >= limit:
                            problems.append(f"{where}:{n} {f.name}={text} later than batch day + 1")
                    elif f.type == "date":
                        if date.fromisoformat(text) > batch:
                            problems.append(f"{where}:{n} {f.name}={text} after its batch")
                    elif f.type in ("decimal", "int"):
                        number = float(text)
                        if f.type == "int" and number != int(number):
                            problems.append(f"{where}:{n} {f.name}={text} not an int")
                        low = f.min_value
                        if low is not None and (number <= low if f.exclusive_min else number < low):
                            problems.append(f"{where}:{n} {f.name}={text} below {low}")
                        high = batch.year if f.max_value == "current_year" else f.max_value
                        if high is not None and number > high:
                            problems.append(f"{where}:{n} {f.name}={text} above {high}")
                    elif f.type == "bool":
                        if text not in ("true", "false"):
                            problems.append(f"{where}:{n} {f.name}={text} not a bool")
                    if f.enum is not None and text not in f.enum:
                        problems.append(f"{where}:{n} {f.name}={text} not in enum")
                if entity.change_capture:
                    local = _instant(rec["updated_at"]).astimezone(SHANGHAI).date()
                    if local != batch:
                        problems.append(f"{where}:{n} updated_at local date {local} is not its batch")
                if entity.name in ("traffic_events", "service_events"):
                    if _instant(rec["event_ts"]).astimezone(SHANGHAI).date() > batch:
                        problems.append(f"{where}:{n} event after its batch day")
                if entity.name == "shop_orders":
                    orders_created[rec["order_id"]] = _instant(rec["created_at"]).astimezone(SHANGHAI).date()
                    total = (
                        float(rec["items_subtotal"])
                        - float(rec["discount_amount"])
                        + float(rec["shipping_fee"])
                        + float(rec["tax_amount"])
                    )
                    if abs(total - float(rec["total_amount"])) > 0.01:
                        problems.append(f"{where}:{n} total_amount != subtotal - discount + shipping + tax")
                if entity.name == "shop_order_items":
                    items_batches.append((rec["order_id"], batch, where))
    for order_id, batch, where in items_batches:
        if orders_created.get(order_id) != batch:
            problems.append(f"{where}: items of {order_id} not in the batch of its creation")
    assert problems == []
    # the only exact duplicate is the retried traffic event e301
    assert duplicates == [("traffic_events", "traffic/events/dt=2026-03-01/events.jsonl", "e301")]
