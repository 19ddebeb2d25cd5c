"""The stages of the benchmark ladder, each a subcommand run as its own process by bench/run.py
(so its peak memory is its own). Each prints one JSON object on stdout: what it did, in rows.

    python bench/stages.py bare-read --landing L --db D     DuckDB's bare read_csv/read_json into tables
    python bench/stages.py ingest --start D1 --end D2       ingest with full contract checks (as the raw assets)
    python bench/stages.py gate --start D1 --end D2         the quality gate (GX suites) of the raw assets
    python bench/stages.py raw --start D1 --end D2          both as the raw step runs them: two entities at a time
                           [--skip ENTITY ...]              (leaving entities out)
    python bench/stages.py one-pass --start D1 --end D2 --db D   the clickstream read, checked and staged
                                                            in one pass (a prototype: bench/one_pass.py)
    python bench/stages.py dbt --start D1 --end D2 -- SEL   dbt build of a selection, then its data tests
    python bench/stages.py publish                          write-audit-publish into serving.duckdb
    python bench/stages.py floor --landing L --db D         bench/floor.sql over the landing files
    python bench/stages.py compare --floor-db D             the floor's three marts vs the pipeline's
    python bench/stages.py reads [--repeat N]               mart reads through `warehouse query`'s code path

Settings (WAREHOUSE_HOME, WAREHOUSE_LANDING, WAREHOUSE_TZ, ...) come from the environment, as for
`warehouse`. The end-to-end run is a plain command; run.py starts it itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from ingest.contract import ENTITIES  # noqa: E402

FLOOR_SQL = Path(__file__).resolve().parent / "floor.sql"
CORE_MARTS = ("kpi_daily", "channel_daily", "funnel_daily")
# a typical filtered query per mart: the last four weeks or one slice, as a dashboard asks
FILTERED = {
    "kpi_daily": "SELECT date, gmv, net_revenue, conversion_rate FROM marts.kpi_daily WHERE date >= (SELECT max(date) - 27 FROM marts.kpi_daily) ORDER BY date",
    "channel_daily": "SELECT channel, sum(sessions) AS sessions, sum(attributed_revenue) AS revenue FROM marts.channel_daily WHERE date >= (SELECT max(date) - 27 FROM marts.channel_daily) GROUP BY channel ORDER BY revenue DESC",
    "funnel_daily": "SELECT platform, sum(sessions), sum(purchased) FROM marts.funnel_daily WHERE device_type = 'mobile' GROUP BY platform",
    "product_daily": "SELECT product_id, sum(units_sold) AS units, sum(revenue) AS revenue FROM marts.product_daily WHERE date >= (SELECT max(date) - 27 FROM marts.product_daily) GROUP BY product_id ORDER BY revenue DESC LIMIT 20",
    "customer_rfm": "SELECT segment, count(*), avg(monetary) FROM marts.customer_rfm GROUP BY segment",
}


def _days(args) -> list[date]:
    first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    return [date.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1)]


def _reader(entity) -> str:
    """The bare DuckDB reader of an entity's files (format from the file names, types auto-detected)."""
    pattern = f"getvariable('landing') || '/{entity.folder}/dt=*/*'"
    if entity.usual_format.startswith("jsonl"):
        return f"read_json({pattern}, format = 'newline_delimited', hive_partitioning = true, filename = true)"
    return f"read_csv({pattern}, hive_partitioning = true, filename = true, union_by_name = true)"


def bare_read(args) -> dict:
    """DuckDB's own read_csv / read_json of every landing file into one table per entity: the
    fastest load there is, without a single contract check."""
    db = Path(args.db)
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")
    con.execute("SET VARIABLE landing = ?", [str(Path(args.landing).resolve())])
    rows = {}
    for entity in ENTITIES:
        con.execute(f"CREATE TABLE {entity.name} AS SELECT * FROM {_reader(entity)}")
        rows[entity.name] = con.execute(f"SELECT count(*) FROM {entity.name}").fetchone()[0]
    con.close()
    return {"rows": sum(rows.values()), "rows_by_entity": rows}


def ingest(args) -> dict:
    """Every entity over the window, as the raw step loads it (ingest_window), one entity after
    another: the step loads two at a time, each with its checks (the gate stage below), so this
    stage and the gate's add up to more than the step takes."""
    from config import load_settings
    from ingest.load import ingest_window
    from orchestration.db import working_db

    settings = load_settings()
    days = _days(args)
    totals = dict(files=0, rows_read=0, rows_loaded=0, rows_quarantined=0, rows_duplicate=0)
    per_entity = {}
    with working_db(settings) as con:
        for entity in ENTITIES:
            started = time.perf_counter()
            results = ingest_window(con, settings.landing, entity, days, settings.tz)
            per_entity[entity.name] = round(time.perf_counter() - started, 2)
            totals["files"] += len(results)
            for r in results:
                for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"):
                    totals[k] += getattr(r, k)
    return {"rows": totals["rows_read"], **totals, "seconds_by_entity": per_entity}


def gate(args) -> dict:
    """The quality gate of every raw asset over the window (validate_raw + record_outcomes)."""
    from config import load_settings
    from orchestration.db import working_db
    from quality.gate import validate_raw
    from quality.results import record_outcomes

    settings = load_settings()
    days = _days(args)
    checks = failed = rows = 0
    with working_db(settings) as con:
        for entity in ENTITIES:
            outcomes = validate_raw(con, entity, days, settings.tz, settings.max_quarantine_share)
            record_outcomes(con, "bench", outcomes)
            checks += len(outcomes)
            failed += sum(not o.passed for o in outcomes)
            rows += con.execute(f"SELECT count(*) FROM raw.{entity.name}").fetchone()[0]
    return {"rows": rows, "checks": checks, "failed": failed}


def raw(args) -> dict:
    """The raw step's work as a run does it (orchestration.assets.ingest.load_and_check): every
    entity loaded and checked, two at a time, one entity's checks beside another's load."""
    from config import load_settings
    from orchestration.assets.ingest import load_and_check
    from orchestration.db import working_db

    settings = load_settings()
    rows = checks = failed = 0
    not_loaded = []
    entities = [e for e in ENTITIES if e.name not in args.skip]
    with working_db(settings) as con:
        for done in load_and_check(con, settings, "bench", entities, _days(args)):
            if done.skipped_because or done.result.rejected:
                not_loaded.append(done.name)
                continue
            rows += done.result.totals["rows_read"]
            checks += len(done.result.outcomes)
            failed += sum(not o.passed for o in done.result.outcomes)
    return {"rows": rows, "checks": checks, "failed": failed, "not_loaded": not_loaded}


def one_pass(args) -> dict:
    """The clickstream read, checked and written once already staged (bench/one_pass.py)."""
    from bench.one_pass import run
    from config import load_settings

    settings = load_settings()
    return run(settings.landing, Path(args.db), _days(args), settings.tz, args.sink)


def dbt(args) -> dict:
    """`dbt build --full-refresh` of the selected models over the window (vars) as the transform
    asset runs it on a window holding every loaded batch day, then the data tests whose models it
    built, as the asset runs them (transform/data_tests.py)."""
    import os
    import subprocess

    from config import load_settings
    from orchestration.db import working_db
    from transform import (
        FAILED_STATUSES,
        RUN_EXCLUDES,
        RUN_QUIET_FILES,
        TESTS_LEFT_TO_THE_RUN,
        BuildResults,
        data_tests,
        dbt_command,
        run_data_tests,
    )

    settings = load_settings()
    window = {"min_date": args.start, "max_date": args.end}
    select = args.select[1:] if args.select[:1] == ["--"] else args.select
    build = ["build", "--full-refresh", *RUN_EXCLUDES, *TESTS_LEFT_TO_THE_RUN, *RUN_QUIET_FILES, *select]
    command = dbt_command(settings, build, settings.dbt_dir / "bench", window)
    done = subprocess.run(command, env={**os.environ, "DBT_LOG_FORMAT": "json"}, capture_output=True, text=True)
    results = BuildResults()
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            results.add(json.loads(line))
    if done.returncode != 0:
        raise SystemExit(f"dbt build failed ({done.returncode}): {done.stdout[-2000:]}")
    built = results.statuses()
    with working_db(settings) as con:
        tested = run_data_tests(con, [t for t in data_tests(settings) if set(t.depends_on) <= set(built)], built)
    failed = [r["unique_id"] for r in tested if r["status"] in FAILED_STATUSES]
    if failed:
        raise SystemExit(f"{len(failed)} data tests failed: {failed[:3]}")
    return {"nodes": len(built), "tests": len(tested)}


def publish(args) -> dict:
    """The Python marts after dbt (experiment results, GMV forecast), then write-audit-publish."""
    from config import load_settings
    from orchestration.assets.analytics import replace_experiment_results, replace_gmv_forecast
    from orchestration.db import working_db
    from serving.publish import publish as publish_marts

    settings = load_settings()
    with working_db(settings) as con:
        replace_experiment_results(con)
        replace_gmv_forecast(con)
    tables = publish_marts(settings.working_db, settings.serving_db, "bench")
    return {"rows": sum(tables.values()), "tables": len(tables)}


def floor(args) -> dict:
    db = Path(args.db)
    db.unlink(missing_ok=True)
    return run_floor(Path(args.landing), db)


def run_floor(
    landing: Path, db: Path, tz: str | None = None, base_currency: str | None = None, home_country: str | None = None
) -> dict:
    """Run bench/floor.sql over `landing` into the DuckDB file `db` (settings default to the
    environment's, as the pipeline's); rows of the three marts."""
    from config import load_settings

    settings = load_settings()
    con = duckdb.connect(str(db))
    try:
        for name, value in (
            ("landing", str(Path(landing).resolve())),
            ("tz", tz or settings.tz),
            ("base_currency", base_currency or settings.base_currency),
            ("home_country", home_country or settings.home_country),
        ):
            con.execute(f"SET VARIABLE {name} = ?", [value])
        con.execute(FLOOR_SQL.read_text())
        return {"rows": sum(con.execute(f"SELECT count(*) FROM {m}").fetchone()[0] for m in CORE_MARTS)}
    finally:
        con.close()


def compare_marts(floor_db: Path, pipeline_db: Path, schema: str = "marts") -> dict[str, list[str]]:
    """Differences between the floor's three marts and the pipeline's, per mart (empty = equal).
    The floor's columns (the first edition's; the pipeline's marts have more since) in the same
    order and types, same rows; doubles equal to 1e-9 (relative)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{floor_db}' AS floor (READ_ONLY)")
    con.execute(f"ATTACH '{pipeline_db}' AS pipe (READ_ONLY)")
    out = {}
    for mart in CORE_MARTS:
        problems = []
        fcols = con.execute(f"DESCRIBE floor.main.{mart}").fetchall()
        floor_names = {c[0] for c in fcols}
        pcols = [c for c in con.execute(f"DESCRIBE pipe.{schema}.{mart}").fetchall() if c[0] in floor_names]
        if [(c[0], c[1]) for c in fcols] != [(c[0], c[1]) for c in pcols]:
            problems.append(
                f"columns differ: floor {[(c[0], c[1]) for c in fcols]} vs pipeline {[(c[0], c[1]) for c in pcols]}"
            )
        else:
            keys = [c[0] for c in pcols if c[1] in ("DATE", "VARCHAR")]
            on = " AND ".join(f'f."{k}" IS NOT DISTINCT FROM p."{k}"' for k in keys)
            diffs = []
            for name, typ, *_ in pcols:
                if name in keys:
                    continue
                a, b = f'f."{name}"', f'p."{name}"'
                if typ == "DOUBLE":
                    cond = f"NOT (({a} IS NULL AND {b} IS NULL) OR abs({a} - {b}) <= 1e-9 * greatest(abs({a}), abs({b}), 1))"
                else:
                    cond = f"{a} IS DISTINCT FROM {b}"
                diffs.append(f'count(*) FILTER ({cond}) AS "{name}"')
            counts = con.execute(
                f"SELECT (SELECT count(*) FROM floor.main.{mart}), (SELECT count(*) FROM pipe.{schema}.{mart}), "
                f'count(*) FILTER (f."{keys[0]}" IS NULL OR p."{keys[0]}" IS NULL), {", ".join(diffs)} '
                f"FROM floor.main.{mart} AS f FULL JOIN pipe.{schema}.{mart} AS p ON {on}"
            ).fetchone()
            if counts[0] != counts[1]:
                problems.append(f"{counts[0]} rows in the floor, {counts[1]} in the pipeline")
            if counts[2]:
                problems.append(f"{counts[2]} keys in only one of them")
            names = [c[0] for c in pcols if c[0] not in keys]
            problems += [f"{n}: {k} rows differ" for n, k in zip(names, counts[3:]) if k]
        out[mart] = problems
    con.close()
    return out


def compare(args) -> dict:
    from config import load_settings

    settings = load_settings()
    target = Path(args.pipeline_db) if args.pipeline_db else settings.working_db
    diffs = compare_marts(Path(args.floor_db), target)
    return {"rows": 0, "equal": not any(diffs.values()), "differences": diffs}


def reads(args) -> dict:
    """Each published mart read through `warehouse query`'s code path (serving.readers,
    a new read-only connection per query, result as a polars frame): `SELECT *` and a typical
    filtered query, `repeat` times each; plus one dashboards build (its reads and rendering)."""
    from config import load_settings
    from dashboards.build import build_site
    from serving.readers import connect_serving, query_serving

    settings = load_settings()
    con = connect_serving(settings)
    marts = [
        r[0]
        for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1").fetchall()
    ]
    con.close()
    # one untimed query first: the imports and code paths a long-lived reader (the dashboards'
    # server, a notebook) has warm; a `warehouse query` process also pays Python's start-up
    query_serving(settings, "SELECT 1")
    timings = {}
    for mart in marts:
        for kind, sql in (("select_all", f"SELECT * FROM marts.{mart}"), ("filtered", FILTERED.get(mart))):
            if sql is None:
                continue
            samples, cpu = [], []
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                frame = query_serving(settings, sql)
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            # CPU time beside wall time: on a loaded machine a query mostly waits for a core
            timings[f"{mart}.{kind}"] = {
                "rows": frame.height,
                "median_ms": round(statistics.median(samples), 1),
                "max_ms": round(max(samples), 1),
                "median_cpu_ms": round(statistics.median(cpu), 1),
                "max_cpu_ms": round(max(cpu), 1),
            }
    pages = _dashboard_reads(settings.serving_db)
    started = time.perf_counter()
    build_site(settings.serving_db, Path(args.dashboards_dir or settings.dashboards_dir), settings.base_currency)
    dashboards_ms = (time.perf_counter() - started) * 1000
    worst = max(timings.items(), key=lambda kv: kv[1]["max_ms"])
    return {
        "rows": sum(t["rows"] for t in timings.values()),
        "queries": timings,
        "max_ms": worst[1]["max_ms"],
        "slowest": worst[0],
        "max_median_ms": max(t["median_ms"] for t in timings.values()),
        "max_cpu_ms": max(t["max_cpu_ms"] for t in timings.values()),
        "dashboard_pages": pages,
        "dashboard_query_max_ms": max(p["slowest_query_ms"] for p in pages.values()),
        "dashboards_build_ms": round(dashboards_ms, 1),
    }


def _dashboard_reads(serving_db: Path) -> dict[str, dict]:
    """Every query each dashboard page makes of the serving database, timed (ms): the page's
    slowest query, its number of queries and the page's whole read time."""
    import duckdb

    from dashboards.pages import PAGES
    from dashboards.queries import Reader

    class TimedReader(Reader):
        def __init__(self, con):
            self.times: list[float] = []  # before Reader.__init__, whose first query is timed too
            super().__init__(con)

        def _query(self, sql, params=None):
            started = time.perf_counter()
            try:
                return super()._query(sql, params)
            finally:
                self.times.append((time.perf_counter() - started) * 1000)

    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        reader = TimedReader(con)
        out = {}
        for page in PAGES:
            reader.times = []
            started = time.perf_counter()
            page.build(reader)
            out[page.FILE] = {
                "queries": len(reader.times),
                "slowest_query_ms": round(max(reader.times, default=0), 1),
                "page_reads_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("bare-read", help="DuckDB's bare read_csv/read_json of the landing files into tables")
    p.add_argument("--landing", required=True)
    p.add_argument("--db", required=True)
    for name, helptext in (
        ("ingest", "ingest with contract checks, as the raw assets"),
        ("gate", "quality gate of the raw assets"),
        ("raw", "ingest and quality gate as the raw step runs them, two entities at a time"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--start", required=True)
        p.add_argument("--end", required=True)
        if name == "raw":
            p.add_argument("--skip", action="append", default=[], metavar="ENTITY", help="an entity not to load")
    p = sub.add_parser("one-pass", help="the clickstream read, checked and staged in one pass (a prototype)")
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("--db", required=True, help="the prototype's database (replaced)")
    p.add_argument("--sink", choices=["parquet", "table"], default="parquet", help="where the staged events go")
    p = sub.add_parser("dbt", help="dbt build --full-refresh of a selection, then its data tests")
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("select", nargs=argparse.REMAINDER, help="dbt's selection arguments, after --")
    sub.add_parser("publish", help="publish the working database's marts into serving.duckdb")
    p = sub.add_parser("floor", help="run bench/floor.sql over the landing files")
    p.add_argument("--landing", required=True)
    p.add_argument("--db", required=True)
    p = sub.add_parser("compare", help="compare the floor's marts with the pipeline's")
    p.add_argument("--floor-db", required=True)
    p.add_argument("--pipeline-db", help="default: the working database")
    p = sub.add_parser("reads", help="time reads of every published mart")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--dashboards-dir")
    args = parser.parse_args(argv)
    fn = {
        "bare-read": bare_read,
        "ingest": ingest,
        "gate": gate,
        "raw": raw,
        "one-pass": one_pass,
        "dbt": dbt,
        "publish": publish,
        "floor": floor,
        "compare": compare,
        "reads": reads,
    }[args.stage]
    print(json.dumps(fn(args), default=str))


if __name__ == "__main__":
    main()
