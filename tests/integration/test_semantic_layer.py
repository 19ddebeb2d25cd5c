"""The semantic layer (dbt semantic models + MetricFlow over the serving database): a metric asked
for by name means exactly what the mart column of the same name means, sliced by any dimension;
and the dbt docs describe every mart column.

Metric queries run in subprocesses (the `warehouse metrics` command, `mf`, or one small script
per shop): MetricFlow configures dbt through the process environment and dbt's global state,
which must not leak into the pipeline runs of other tests in this session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from config import Settings
from serving.metrics import TRANSFORM_DIR, metricflow_env
from serving.semantic_sources import SEMANTIC_SOURCES, WITHHELD_COLUMNS
from tests.support.warehouse import kpi_daily, read_table

BIN = Path(sys.executable).parent

# The KPIs the semantic layer must serve (the brief), and the other kpi_daily columns it covers.
REQUIRED = (
    "gmv",
    "gross_revenue",
    "net_revenue",
    "paid_orders",
    "aov",
    "sessions",
    "conversion_rate",
    "new_customers",
    "tickets",
    "csat",
)
ALSO = (
    "buyers",
    "revenue_per_buyer",
    "placed_orders",
    "cancelled_orders",
    "refunded_amount",
    "units_sold",
    "discount_amount",
    "cross_border_share",
    "bounce_rate",
    "refund_rate",
    "tickets_per_100_orders",
)
COUNTS = {"paid_orders", "sessions", "new_customers", "tickets", "placed_orders", "cancelled_orders", "units_sold"}
# kpi_daily rounds each day's money sum to 4 places (DECIMAL(18,4)); MetricFlow returns the exact
# sum as a double. net_revenue is the difference of two rounded sums there, so two roundings.
MONEY_TOLERANCE = {"net_revenue": 0.0001 + 1e-6}
DEFAULT_MONEY_TOLERANCE = 0.00005 + 1e-6


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DBT_"))}
    env.update(
        WAREHOUSE_HOME=str(settings.home),
        WAREHOUSE_LANDING=str(settings.landing),
        WAREHOUSE_TZ=settings.tz,
        WAREHOUSE_BASE_CURRENCY=settings.base_currency,
        WAREHOUSE_HOME_COUNTRY=settings.home_country,
        **extra,
    )
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


_QUERY_SCRIPT = """
import json, sys
from serving.metrics import MetricEngine
from config import load_settings
engine = MetricEngine(load_settings())
for name, request in json.loads(sys.argv[1]).items():
    engine.query(**request).write_parquet(f"{sys.argv[2]}/{name}.parquet")
"""


def _metric_frames(settings: Settings, out: Path, queries: dict[str, dict]) -> dict[str, pl.DataFrame]:
    """Several metric queries through one MetricFlow engine (one process: setup costs seconds)."""
    out.mkdir(parents=True, exist_ok=True)
    done = _run(
        [sys.executable, "-c", _QUERY_SCRIPT, json.dumps(queries), str(out)], _env(settings), cwd=TRANSFORM_DIR.parent
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {name: pl.read_parquet(out / f"{name}.parquet") for name in queries}


@pytest.fixture(scope="module", params=["edge_shop", "simulated_shop"])
def shop(request, tmp_path_factory):
    """(settings, metric frames) of a shop run once by the session fixtures."""
    if request.param == "edge_shop":
        settings, _ = request.getfixturevalue("edge_shop_run")
    else:
        settings = request.getfixturevalue("simulated_shop")
    frames = _metric_frames(
        settings,
        tmp_path_factory.mktemp(f"metrics_{request.param}"),
        {
            "daily": {"metrics": list(REQUIRED + ALSO), "group_by": ["metric_time__day"]},
            "weekly": {"metrics": ["gmv", "paid_orders"], "group_by": ["metric_time__week"]},
            "funnel": {
                "metrics": ["sessions"],
                "group_by": ["metric_time__day", "session__platform", "session__device_type"],
            },
            "channel": {
                "metrics": ["paid_orders", "gross_revenue"],
                "group_by": ["metric_time__day", "session__channel"],
            },
        },
    )
    return settings, frames


def _assert_same(metric: str, got, want, where: str) -> None:
    if want is None or got is None:
        assert got is None and want is None, f"{metric} on {where}: semantic layer {got}, kpi_daily {want}"
    elif metric in COUNTS:
        assert got == want, f"{metric} on {where}: semantic layer {got}, kpi_daily {want}"
    elif metric in MONEY_TOLERANCE or metric in {"gmv", "gross_revenue", "refunded_amount", "discount_amount"}:
        tolerance = MONEY_TOLERANCE.get(metric, DEFAULT_MONEY_TOLERANCE)
        assert abs(float(got) - float(want)) <= tolerance, (
            f"{metric} on {where}: semantic layer {got}, kpi_daily {want}"
        )
    else:  # ratios: the same division of the same counts and sums
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"{metric} on {where}: {got} vs {want}"


def test_every_metric_by_day_equals_kpi_daily(shop):
    settings, frames = shop
    kpis = kpi_daily(settings)
    daily = frames["daily"]
    assert daily["metric_time__day"].is_unique().all()
    by_day = {row["metric_time__day"]: row for row in daily.iter_rows(named=True)}
    # MetricFlow has a row for each day with an order, a refund, a session or a ticket; kpi_daily
    # spans the first to the last such day, with zeros on days between that have none.
    assert set(by_day) <= set(kpis["date"].to_list())
    assert len(by_day) >= 3
    for kpi in kpis.iter_rows(named=True):
        row = by_day.get(kpi["date"])
        if row is None:
            assert all(kpi[count] in (0, None) for count in ("placed_orders", "sessions", "tickets")), kpi
            continue
        for metric in REQUIRED + ALSO:
            _assert_same(metric, row[metric], kpi[metric], str(kpi["date"]))


def test_weeks_roll_up_local_days_from_monday(shop):
    settings, frames = shop
    kpis = kpi_daily(settings).with_columns(week=pl.col("date").dt.truncate("1w"))  # polars weeks start Monday
    expected = kpis.group_by("week").agg(
        pl.col("gmv").cast(pl.Float64).sum(), pl.col("paid_orders").sum(), pl.col("placed_orders").sum()
    )
    got = frames["weekly"].rename({"metric_time__week": "week"}).join(expected, on="week", suffix="_kpi")
    assert got.height == frames["weekly"].height == expected.filter(pl.col("placed_orders") > 0).height
    for row in got.iter_rows(named=True):
        assert row["week"].weekday() == 0
        assert row["paid_orders"] == row["paid_orders_kpi"]
        assert abs(row["gmv"] - row["gmv_kpi"]) <= DEFAULT_MONEY_TOLERANCE * 7


def test_sessions_by_platform_and_device_equal_funnel_daily(shop):
    settings, frames = shop
    funnel = read_table(settings.serving_db, "SELECT date, platform, device_type, sessions FROM marts.funnel_daily")
    # funnel_daily reports a missing platform or device type as 'unknown'; MetricFlow keeps null
    got = frames["funnel"].select(
        pl.col("metric_time__day").alias("date"),
        pl.col("session__platform").fill_null("unknown").alias("platform"),
        pl.col("session__device_type").fill_null("unknown").alias("device_type"),
        pl.col("sessions"),
    )
    assert got.sort(pl.all()).equals(funnel.filter(pl.col("sessions") > 0).sort(pl.all()))


def test_revenue_by_session_channel_equals_channel_daily_attribution(shop):
    settings, frames = shop
    attributed = read_table(
        settings.serving_db,
        "SELECT date, channel, attributed_orders, attributed_revenue FROM marts.channel_daily WHERE attributed_orders > 0",
    )
    # orders without a known session have no session channel (null); channel_daily counts them direct
    got = (
        frames["channel"]
        .with_columns(pl.col("session__channel").fill_null("direct"))
        .group_by(pl.col("metric_time__day").alias("date"), pl.col("session__channel").alias("channel"))
        .agg(pl.col("paid_orders").sum(), pl.col("gross_revenue").sum())
        .filter(pl.col("paid_orders") > 0)
        .join(attributed, on=["date", "channel"], how="full", coalesce=True)
    )
    assert got.filter(pl.col("paid_orders").is_null() | pl.col("attributed_orders").is_null()).is_empty(), got
    assert (got["paid_orders"] == got["attributed_orders"]).all()
    assert ((got["gross_revenue"] - got["attributed_revenue"].cast(pl.Float64)).abs() <= DEFAULT_MONEY_TOLERANCE).all()


def test_warehouse_metrics_command_prints_gmv_per_local_day(simulated_shop):
    kpis = kpi_daily(simulated_shop)
    done = _run(
        [str(BIN / "warehouse"), "metrics", "--metrics", "gmv,paid_orders", "--group-by", "metric_time__day", "--csv"],
        _env(simulated_shop),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = pl.read_csv(done.stdout.encode(), try_parse_dates=True)
    assert got.columns == ["metric_time__day", "gmv", "paid_orders"]
    assert got["metric_time__day"].dtype == pl.Date and got["metric_time__day"].is_sorted()
    want = kpis.filter(pl.col("placed_orders") > 0)
    assert got["metric_time__day"].to_list() == want["date"].to_list()
    assert got["paid_orders"].to_list() == want["paid_orders"].to_list()
    for mine, theirs in zip(got["gmv"].to_list(), want["gmv"].to_list()):
        assert abs(mine - float(theirs)) <= DEFAULT_MONEY_TOLERANCE


_KEPT_QUERY_SCRIPT = """
import sys
from serving.metrics import MetricEngine
from config import load_settings
frame = MetricEngine(load_settings()).query(["gmv", "paid_orders"], ["metric_time__day"])
assert not [m for m in sys.modules if m.startswith("metricflow")], "MetricFlow was imported"
sys.stdout.write(frame.write_csv())
"""


def test_a_request_asked_again_runs_its_kept_sql_without_metricflow(simulated_shop, tmp_path):
    """The first request compiles through MetricFlow and keeps its SQL under the home; asking
    again answers the same, byte for byte, without importing MetricFlow (docs/performance.md:
    that is what makes a repeated question take well under a second)."""
    env = {**_env(simulated_shop), "WAREHOUSE_HOME": str(tmp_path / "home")}
    shutil.copytree(simulated_shop.home, tmp_path / "home", ignore=shutil.ignore_patterns("run.lock"))
    kept = tmp_path / "home" / "dbt" / "metric_queries"
    shutil.rmtree(kept, ignore_errors=True)
    command = [str(BIN / "warehouse"), "metrics", "--metrics", "gmv,paid_orders", "--group-by", "metric_time__day"]
    first = _run([*command, "--csv"], env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(list(kept.glob("*.json"))) == 1
    again = _run([sys.executable, "-c", _KEPT_QUERY_SCRIPT], env, cwd=TRANSFORM_DIR.parent)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout == first.stdout
    listed = [_run([str(BIN / "warehouse"), "metrics", "--list"], env) for _ in range(2)]
    assert listed[0].stdout == listed[1].stdout and "gmv (simple)" in listed[0].stdout
    assert len(list(kept.glob("*.json"))) == 2


def test_warehouse_metrics_lists_metrics_and_explains_bad_names(simulated_shop):
    listed = _run([str(BIN / "warehouse"), "metrics", "--list"], _env(simulated_shop))
    assert listed.returncode == 0, listed.stderr[-3000:]
    names = {line.split(" ", 1)[0] for line in listed.stdout.splitlines() if not line.startswith(" ")}
    assert set(REQUIRED) <= names
    assert "gmv (simple): Σ `items_subtotal` of all placed orders that day, any status (base currency)" in listed.stdout
    wrong = _run([str(BIN / "warehouse"), "metrics", "--metrics", "gmvv"], _env(simulated_shop))
    assert wrong.returncode != 0
    assert "does not exactly match any known metrics" in wrong.stderr and "gmv" in wrong.stderr


def test_metrics_help_and_a_warehouse_not_yet_published(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "WAREHOUSE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    helped = _run([str(BIN / "warehouse"), "metrics", "--help"], env)
    assert helped.returncode == 0 and "Query KPIs by name through the semantic layer" in helped.stdout
    assert "--group-by" in helped.stdout and "--list" in helped.stdout
    early = _run([str(BIN / "warehouse"), "metrics", "--metrics", "gmv"], env)
    assert early.returncode == 1
    lines = early.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no serving database"), early.stderr


def test_mf_query_as_documented_reads_the_serving_database(simulated_shop, tmp_path):
    """README: `mf query --metrics gmv --group-by metric_time__day` under metricflow_env()."""
    out = tmp_path / "gmv.csv"
    done = _run(
        [
            str(BIN / "mf"),
            "query",
            "--metrics",
            "gmv",
            "--group-by",
            "metric_time__day",
            "--order",
            "metric_time__day",
            "--csv",
            str(out),
            "--quiet",
        ],
        _env(simulated_shop, **metricflow_env(simulated_shop)),
        cwd=tmp_path,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    got = pl.read_csv(out, try_parse_dates=True)
    want = kpi_daily(simulated_shop).filter(pl.col("placed_orders") > 0)
    assert [d.date() for d in got["metric_time__day"].to_list()] == want["date"].to_list()
    assert all(abs(a - float(b)) <= DEFAULT_MONEY_TOLERANCE for a, b in zip(got["gmv"], want["gmv"]))


def test_every_dimension_measure_and_metric_resolves_in_the_serving_database(simulated_shop, tmp_path):
    """MetricFlow's data-warehouse validation queries each semantic model, dimension, entity, measure
    and metric against the served copies: a semantic model on a column publish does not copy
    (a customer id, say) fails here."""
    done = _run(
        [str(BIN / "mf"), "validate-configs"], _env(simulated_shop, **metricflow_env(simulated_shop)), cwd=tmp_path
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    assert "ERRORS: 0" in done.stdout


def test_served_semantic_sources_hold_no_customer_ids(simulated_shop):
    columns = read_table(
        simulated_shop.serving_db,
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE schema_name <> 'marts'",
    )
    served = set(zip(columns["schema_name"], columns["table_name"]))
    assert set(SEMANTIC_SOURCES) <= served
    leaked = columns.filter(pl.col("column_name").is_in(list(WITHHELD_COLUMNS)))
    assert leaked.is_empty(), leaked


@pytest.fixture(scope="module")
def docs_target(simulated_shop, tmp_path_factory) -> Path:
    """`dbt docs generate` as an analyst runs it (serving profile), into a private target path."""
    target = tmp_path_factory.mktemp("dbt_docs")
    done = _run(
        [str(BIN / "dbt"), "docs", "generate", "--project-dir", str(TRANSFORM_DIR), "--target-path", str(target)],
        _env(simulated_shop, **metricflow_env(simulated_shop)),
        cwd=target,
    )
    assert done.returncode == 0, done.stdout[-5000:]
    return target


def test_semantic_sources_are_what_the_semantic_models_read(docs_target):
    semantic = json.loads((docs_target / "semantic_manifest.json").read_text())
    relations = {(m["node_relation"]["schema_name"], m["node_relation"]["alias"]) for m in semantic["semantic_models"]}
    spines = {
        (s["node_relation"]["schema_name"], s["node_relation"]["alias"])
        for s in semantic["project_configuration"]["time_spines"]
    }
    assert relations | spines == set(SEMANTIC_SOURCES)
    metrics = {m["name"]: m for m in semantic["metrics"]}
    assert set(REQUIRED + ALSO) <= set(metrics)
    assert {metrics[m]["type"] for m in ("aov", "conversion_rate", "csat")} == {"ratio"}
    assert metrics["net_revenue"]["type"] == "derived"
    assert all(m["description"].strip() for m in metrics.values())
    assert all(m["description"].strip() for m in semantic["semantic_models"])


def test_dbt_docs_describe_every_mart_and_every_column(docs_target):
    """`dbt docs generate` succeeds; every model in models/marts is in the catalog and the manifest
    has a description for it and for every one of its columns, and documents no column the table
    lacks."""
    manifest = json.loads((docs_target / "manifest.json").read_text())
    catalog = json.loads((docs_target / "catalog.json").read_text())
    assert (docs_target / "index.html").exists()
    marts = sorted(p.stem for p in (TRANSFORM_DIR / "models" / "marts").glob("*.sql"))
    assert "kpi_daily" in marts
    for mart in marts:
        node = manifest["nodes"][f"model.shop_warehouse.{mart}"]
        assert node["description"].strip(), f"{mart} has no description"
        assert node["unique_id"] in catalog["nodes"], f"{mart} is not in the catalog (not published?)"
        documented = {name.lower(): col for name, col in node["columns"].items()}
        actual = {name.lower() for name in catalog["nodes"][node["unique_id"]]["columns"]}
        undocumented = sorted(c for c in actual if not documented.get(c, {}).get("description", "").strip())
        assert not undocumented, f"{mart}: columns without a description: {undocumented}"
        assert set(documented) <= actual, f"{mart}: documented columns it does not have: {set(documented) - actual}"
