"""The dbt project on Apache Spark (architecture.md, "Engines"): the raw layer as a Parquet lake,
`dbt build --target spark` on a local in-process Spark (dbt-spark, session mode), and a
cell-by-cell comparison of the marts it builds with those of a DuckDB build.

    python -m transform.spark build --warehouse $WAREHOUSE_HOME/warehouse.duckdb   # scripts/spark-build
    python -m transform.spark compare --spark-dir ... --duckdb ...                  # scripts/compare-engines

build: exports every table of the warehouse's schema `raw` to
`<lake>/raw/<table>/batch_dt=YYYY-MM-DD/*.parquet` (the batch day `_batch_dt` becomes the
partition folder `batch_dt`: macros/spark.sql says why) unless `raw` already consists of views
over that lake (ingest writes the raw layer there: ingest/lake.py), then runs `dbt build --target spark`,
whose on-run-start hook registers those folders as the source `raw`. The Spark catalog (Parquet
tables and a Derby metastore) lives under `--spark-dir`. Needs the extra `spark`
(`uv sync --extra spark`) and Java 17 (JAVA_HOME).

The personal-data key never reaches Spark's configuration, dbt's vars or the SQL: Spark SQL reads
the key file when a query runs (macros/pii.sql). A key given by WAREHOUSE_HASH_KEY is written to a
private file under the Spark folder for that purpose, so hashes equal the DuckDB build's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from config import hash_key_of, java_home, load_settings, private_dir, write_private_text
from transform.project import RUN_LOG_LEVEL, TRANSFORM_DIR, dbt_executable, dbt_vars

RAW_SCHEMA = "raw"
# The batch-day column of every raw table, and its name as the lake's partition folder.
BATCH_COLUMN = "_batch_dt"
LAKE_PARTITION = "batch_dt"
MART_SCHEMA = "marts"
# Spark's log: errors only (the file says why).
SPARK_LOG_CONFIG = TRANSFORM_DIR / "spark-log4j2.properties"


# ------------------------------------------------------------------------------------------ the lake


def reads_lake(con, lake: Path) -> bool:
    """Whether the warehouse's `raw` relations are already views over `<lake>/raw/` (the raw layer
    ingest writes as Parquet beside the working database): then the lake is the raw layer itself."""
    root = str(Path(lake).resolve() / RAW_SCHEMA) + "/"
    views = con.execute("SELECT sql FROM duckdb_views() WHERE schema_name = ?", [RAW_SCHEMA]).fetchall()
    return any(root in (sql or "") for (sql,) in views)


def export_lake(warehouse: Path, lake: Path) -> dict[str, int] | None:
    """Write every relation of `raw` in the DuckDB file `warehouse` to
    `<lake>/raw/<table>/batch_dt=YYYY-MM-DD/`: Parquet, without the `_batch_dt` column (it is the
    folder). Each table's folder is replaced whole (written beside it, then renamed), so a batch
    that is gone from the warehouse is gone from the lake. Returns rows written per table, or None
    when `raw` already reads that lake (nothing to write: the pipeline's own raw layer)."""
    import duckdb

    written: dict[str, int] = {}
    root = Path(lake) / RAW_SCHEMA
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if reads_lake(con, lake):
            return None
        root.mkdir(parents=True, exist_ok=True)
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", [RAW_SCHEMA]
            ).fetchall()
        ]
        for table in tables:
            columns = [
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                    "ORDER BY ordinal_position",
                    [RAW_SCHEMA, table],
                ).fetchall()
            ]
            if BATCH_COLUMN not in columns:
                raise ValueError(f"{RAW_SCHEMA}.{table} has no batch-day column {BATCH_COLUMN}")
            kept = ", ".join(f'"{c}"' for c in columns if c != BATCH_COLUMN)
            staging = root / f".{table}.writing"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            rows = con.execute(f'SELECT count(*) FROM {RAW_SCHEMA}."{table}"').fetchone()[0]
            if rows:
                con.execute(
                    f'COPY (SELECT {kept}, "{BATCH_COLUMN}" AS {LAKE_PARTITION} FROM {RAW_SCHEMA}."{table}") '
                    f"TO '{_sql_path(staging)}' (FORMAT parquet, PARTITION_BY ({LAKE_PARTITION}), OVERWRITE_OR_IGNORE)"
                )
            final = root / table
            shutil.rmtree(final, ignore_errors=True)
            staging.rename(final)
            written[table] = rows
    finally:
        con.close()
    return written


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# ------------------------------------------------------------------------------------------ dbt on Spark


@dataclass
class SparkPaths:
    home: Path
    lake: Path
    spark_dir: Path
    target_path: Path

    @classmethod
    def of(cls, home: Path, lake: Path | None = None, spark_dir: Path | None = None, target: Path | None = None):
        home = Path(home).resolve()
        spark_dir = Path(spark_dir).resolve() if spark_dir else home / "spark"
        return cls(
            home=home,
            lake=Path(lake).resolve() if lake else Path(os.environ.get("WAREHOUSE_LAKE") or home / "lake").resolve(),
            spark_dir=spark_dir,
            target_path=Path(target).resolve() if target else spark_dir / "dbt",
        )


def spark_vars(paths: SparkPaths, warehouse: Path, window: tuple[str, str] | None = None) -> dict[str, str]:
    """The vars of a Spark build: the warehouse's settings (as every invocation has them), where
    the lake, the Spark catalog and the key file are, and the batch window (min_date, max_date) of
    an incremental run. Never the key itself."""
    settings = load_settings(home=paths.home)
    variables = {
        **dbt_vars(settings),
        "warehouse_home": str(paths.home),
        "working_db": str(Path(warehouse).resolve()),
        "lake": str(paths.lake),
        "spark_dir": str(paths.spark_dir),
        "pii_key_file": str(key_file(paths)),
        "spark_java_options": f"-Dlog4j2.configurationFile=file:{SPARK_LOG_CONFIG}",
    }
    if window:
        variables["min_date"], variables["max_date"] = window
    return variables


def key_file(paths: SparkPaths) -> Path:
    """The file Spark SQL reads the personal-data key from: the home's key file, or, when
    WAREHOUSE_HASH_KEY sets the key, a private copy under the Spark folder (0600 in a 0700 folder)."""
    key = hash_key_of(paths.home)  # makes the home's key file when it has none, as a DuckDB run would
    if os.environ.get("WAREHOUSE_HASH_KEY"):
        path = private_dir(paths.spark_dir / "key") / "hash_key"
        write_private_text(path, key)
        return path
    return paths.home / "hash_key"


def spark_environment() -> dict[str, str]:
    """The environment of the dbt process: Java for Spark, nothing of the warehouse's settings
    (dbt reads vars only; transform/project.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DBT_"))}
    if java := java_home():
        env["JAVA_HOME"] = java
    # a local Spark binds to loopback, whatever the host name resolves to
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def spark_build_command(
    paths: SparkPaths, warehouse: Path, dbt_args: list[str], window: tuple[str, str] | None = None
) -> list[str]:
    return [
        str(dbt_executable()),
        *dbt_args,
        "--target",
        "spark",
        "--project-dir",
        str(TRANSFORM_DIR),
        "--profiles-dir",
        str(TRANSFORM_DIR),
        "--target-path",
        str(paths.target_path),
        "--log-path",
        str(paths.target_path),
        *RUN_LOG_LEVEL,
        "--vars",
        json.dumps(spark_vars(paths, warehouse, window), sort_keys=True),
    ]


def run_dbt_on_spark(
    paths: SparkPaths, warehouse: Path, dbt_args: list[str], window: tuple[str, str] | None = None
) -> int:
    paths.target_path.mkdir(parents=True, exist_ok=True)
    command = spark_build_command(paths, warehouse, dbt_args, window)
    # the working directory takes what Spark and Derby leave beside a run (derby.log, spark-warehouse)
    return subprocess.run(command, env=spark_environment(), cwd=paths.target_path).returncode


def node_summary(target_path: Path) -> dict[str, dict[str, int]]:
    """Counts of dbt's results by resource type and status (run_results.json of the last invocation)."""
    results = json.loads((Path(target_path) / "run_results.json").read_text())["results"]
    summary: dict[str, dict[str, int]] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        counts = summary.setdefault(kind, {})
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return summary


# ------------------------------------------------------------------------------------------ DuckDB reference


def copy_raw(warehouse: Path, destination: Path) -> None:
    """A new DuckDB file holding only the schema `raw` of `warehouse` (same tables, types, rows):
    the start of a DuckDB build from an empty warehouse over the same raw data as the lake."""
    import duckdb

    destination = Path(destination)
    for path in (destination, destination.with_name(destination.name + ".wal")):
        path.unlink(missing_ok=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(destination))
    try:
        con.execute(f"ATTACH '{_sql_path(Path(warehouse).resolve())}' AS source (READ_ONLY)")
        con.execute(f"CREATE SCHEMA {RAW_SCHEMA}")
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'source' AND table_schema = ? "
            "ORDER BY 1",
            [RAW_SCHEMA],
        ).fetchall()
        for (table,) in tables:
            con.execute(f'CREATE TABLE {RAW_SCHEMA}."{table}" AS SELECT * FROM source.{RAW_SCHEMA}."{table}"')
        con.execute("DETACH source")
    finally:
        con.close()


def run_dbt_on_duckdb(
    home: Path, working_db: Path, target_path: Path, dbt_args: list[str], window: tuple[str, str] | None = None
) -> int:
    """`dbt <args>` on the default target (DuckDB) against `working_db`, with the settings of `home`."""
    from transform.project import dbt_command

    settings = load_settings(home=Path(home).resolve())
    target_path.mkdir(parents=True, exist_ok=True)
    extra = {"working_db": str(working_db)}
    if window:
        extra["min_date"], extra["max_date"] = window
    command = dbt_command(settings, [*dbt_args, *RUN_LOG_LEVEL], target_path, extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DBT_"))}
    return subprocess.run(command, env=env, cwd=target_path).returncode


# ------------------------------------------------------------------------------------------ comparison


@dataclass
class MartComparison:
    mart: str
    equal: bool
    rows: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    max_rel_diff: float = 0.0
    sides: tuple[str, str] = ("duckdb", "spark")

    def line(self) -> str:
        state = "equal" if self.equal else "DIFFERS"
        extra = f"; largest relative difference of a double {self.max_rel_diff:.3g}" if self.max_rel_diff else ""
        notes = f": {'; '.join(self.notes)}" if self.notes else ""
        return (
            f"{self.mart:40} {state:8} rows {self.sides[0]}={self.rows[0]} {self.sides[1]}={self.rows[1]}{extra}{notes}"
        )


def spark_tables(spark_dir: Path, schema: str = MART_SCHEMA) -> dict[str, Path]:
    """The tables of a schema of the Spark catalog: `<warehouse>/<schema>.db/<table>/` folders of
    Parquet files (partitioned tables: in `<day>=YYYY-MM-DD/` folders below)."""
    folder = Path(spark_dir) / "warehouse" / f"{schema}.db"
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_dir() and any(p.rglob("part-*.parquet"))}


def dbt_marts() -> set[str]:
    """The marts dbt builds (models/marts/*.sql); the Python-built ones are not Spark's to build."""
    return {p.stem for p in (TRANSFORM_DIR / "models" / "marts").glob("*.sql")}


def compare_marts(
    duckdb_file: Path, spark_dir: Path, rel_tol: float = 1e-9, schemas: tuple[str, ...] = (MART_SCHEMA,)
) -> list[MartComparison]:
    """Every dbt mart of the DuckDB file against the Spark catalog's: same columns, the same rows
    (as multisets, ordered by every column), doubles within `rel_tol` (relative), every other value
    (decimals included) exactly equal. Other `schemas` (intermediate, staging) add the tables both
    engines hold in them (staging views are not stored: left out)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{_sql_path(Path(duckdb_file))}' AS reference (READ_ONLY)")
    comparisons = []
    for schema in schemas:
        in_duckdb = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'reference' "
                "AND table_schema = ? AND table_type = 'BASE TABLE'",
                [schema],
            ).fetchall()
        }
        in_spark = spark_tables(spark_dir, schema)
        names = sorted(dbt_marts()) if schema == MART_SCHEMA else sorted(in_duckdb & set(in_spark))
        for name in names:
            label = name if schema == MART_SCHEMA else f"{schema}.{name}"
            if name not in in_duckdb or name not in in_spark:
                where = "DuckDB" if name not in in_duckdb else "Spark"
                comparisons.append(MartComparison(label, False, (0, 0), [f"missing in {where}"]))
                continue
            comparisons.append(
                _compare_relations(
                    con,
                    label,
                    f'reference.{schema}."{name}"',
                    f"read_parquet('{_sql_path(in_spark[name])}/**/part-*.parquet', hive_partitioning = true)",
                    rel_tol,
                )
            )
    con.close()
    return comparisons


def compare_duckdb_builds(
    left: Path, right: Path, schemas: tuple[str, ...] = (MART_SCHEMA,), rel_tol: float = 0.0
) -> list[MartComparison]:
    """Every table of `schemas` in two DuckDB files (e.g. a build with this branch's transform and
    one with another's): same tables, columns, types and rows; doubles within `rel_tol`."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{_sql_path(Path(left))}' AS reference (READ_ONLY)")
    con.execute(f"ATTACH '{_sql_path(Path(right))}' AS other (READ_ONLY)")
    listing = (
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = ? "
        "AND table_type = 'BASE TABLE' AND table_schema IN (SELECT unnest(?))"
    )
    tables = {side: set(con.execute(listing, [side, list(schemas)]).fetchall()) for side in ("reference", "other")}
    comparisons = []
    for schema, name in sorted(tables["reference"] | tables["other"]):
        label = f"{schema}.{name}"
        if (schema, name) not in tables["reference"] or (schema, name) not in tables["other"]:
            where = right if (schema, name) not in tables["other"] else left
            comparisons.append(MartComparison(label, False, (0, 0), [f"missing in {where}"], sides=("left", "right")))
            continue
        result = _compare_relations(
            con, label, f'reference.{schema}."{name}"', f'other.{schema}."{name}"', rel_tol, strict_types=True
        )
        result.sides = ("left", "right")
        comparisons.append(result)
    con.close()
    return comparisons


def _compare_relations(
    con, mart: str, left: str, right: str, rel_tol: float, strict_types: bool = False
) -> MartComparison:
    left_types = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {left}").fetchall()]
    right_types = dict((r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {right}").fetchall())
    notes = []
    names = [name for name, _ in left_types]
    if sorted(names) != sorted(right_types):
        missing = sorted(set(names) - set(right_types))
        extra = sorted(set(right_types) - set(names))
        return MartComparison(
            mart, False, (0, 0), [f"columns differ: only in the first {missing}, only in the second {extra}"]
        )
    typed = [(name, kind, right_types[name]) for name, kind in left_types]
    # the same values in the types each engine gives them: an instant (DuckDB TIMESTAMPTZ, Spark
    # TIMESTAMP in UTC), a sum of integers (DuckDB HUGEINT), decimals of another width or scale
    changed = [(name, a, b) for name, a, b in typed if a != b and (strict_types or not _same_kind(a, b))]
    notes += [f"{name} is {a} in the first, {b} in the second" for name, a, b in changed]
    doubles = [i for i, (_, kind, _) in enumerate(typed) if _is_double(kind)]
    # every other column first, then the doubles rounded: rows that differ only in the last bits
    # of a double still meet their counterpart
    order = ", ".join(
        [f'"{name}" NULLS FIRST' for name, kind, _ in typed if not _is_double(kind)]
        + [f'round("{name}", 6) NULLS FIRST' for name, kind, _ in typed if _is_double(kind)]
    )
    columns = ", ".join(f'"{name}"' for name in names)
    left_rows = con.execute(f"SELECT {columns} FROM {left} ORDER BY {order}").fetchall()
    right_rows = con.execute(f"SELECT {columns} FROM {right} ORDER BY {order}").fetchall()
    result = MartComparison(mart, not (strict_types and changed), (len(left_rows), len(right_rows)), notes)
    if len(left_rows) != len(right_rows):
        result.equal = False
        result.notes.append("row counts differ")
        return result
    mismatches: dict[str, int] = {}
    for a, b in zip(left_rows, right_rows):
        for i, (name, _, _) in enumerate(typed):
            x, y = a[i], b[i]
            if i in doubles:
                if x is None or y is None:
                    same = x is None and y is None
                elif math.isnan(x) or math.isnan(y):
                    same = math.isnan(x) and math.isnan(y)
                else:
                    scale = max(abs(x), abs(y))
                    diff = abs(x - y) / scale if scale else 0.0
                    result.max_rel_diff = max(result.max_rel_diff, diff)
                    same = diff <= rel_tol
            elif isinstance(x, Decimal) and isinstance(y, Decimal):
                same = x == y  # numerically, whatever the scale of the types
            else:
                same = _instant(x) == _instant(y)
            if not same:
                mismatches[name] = mismatches.get(name, 0) + 1
    if mismatches:
        result.equal = False
        result.notes.append("cells differ: " + ", ".join(f"{n} ({c} rows)" for n, c in mismatches.items()))
    return result


def _instant(value):
    """A TIMESTAMPTZ (DuckDB) and Spark's TIMESTAMP (UTC, read from Parquet without a zone) compare
    as the same instant."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _same_kind(a: str, b: str) -> bool:
    kinds = [
        "TIMESTAMP" if k.startswith("TIMESTAMP") else "INTEGER" if k in ("HUGEINT", "BIGINT") else k.split("(")[0]
        for k in (a.upper(), b.upper())
    ]
    return kinds[0] == kinds[1]


def _is_double(kind: str) -> bool:
    return kind.upper() in ("DOUBLE", "FLOAT", "REAL")


# ------------------------------------------------------------------------------------------ command line


def _build(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse).resolve()
    if not warehouse.is_file():
        print(f"no DuckDB warehouse at {warehouse}", file=sys.stderr)
        return 2
    home = Path(args.home or os.environ.get("WAREHOUSE_HOME") or warehouse.parent)
    paths = SparkPaths.of(home, args.lake, args.spark_dir, args.target_path)
    started = time.monotonic()
    if not args.skip_export:
        written = export_lake(warehouse, paths.lake)
        if written is None:
            print(
                f"lake: the warehouse's raw tables are views over {paths.lake / RAW_SCHEMA} already: nothing to export"
            )
        else:
            print(f"lake: {sum(written.values()):,} rows of {len(written)} raw tables -> {paths.lake / RAW_SCHEMA}")
    exported = time.monotonic()
    dbt_args = ["build"]
    if args.full_refresh:
        dbt_args.append("--full-refresh")
    if args.exclude_unit_tests:
        dbt_args += ["--exclude-resource-type", "unit_test"]
    dbt_args += args.dbt_args
    code = run_dbt_on_spark(paths, warehouse, dbt_args, tuple(args.window) if args.window else None)
    done = time.monotonic()
    if (paths.target_path / "run_results.json").exists():
        counts = node_summary(paths.target_path)
        print("spark: " + "; ".join(f"{kind} {counts[kind]}" for kind in sorted(counts)))
    print(f"time: export {exported - started:.1f} s, dbt build on Spark {done - exported:.1f} s")
    return code


def _duckdb_build(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse).resolve()
    home = Path(args.home or os.environ.get("WAREHOUSE_HOME") or warehouse.parent)
    out = Path(args.out).resolve()
    started = time.monotonic()
    copy_raw(warehouse, out)
    dbt_args = ["build"]
    if args.exclude_unit_tests:
        dbt_args += ["--exclude-resource-type", "unit_test"]
    target = Path(args.target_path).resolve() if args.target_path else out.with_suffix(".dbt")
    code = run_dbt_on_duckdb(home, out, target, dbt_args + args.dbt_args)
    if (target / "run_results.json").exists():
        counts = node_summary(target)
        print("duckdb: " + "; ".join(f"{kind} {counts[kind]}" for kind in sorted(counts)))
    print(f"time: copy + dbt build on DuckDB {time.monotonic() - started:.1f} s")
    return code


def _compare(args: argparse.Namespace) -> int:
    schemas = tuple(name.strip() for name in args.schemas.split(",") if name.strip())
    results = compare_marts(Path(args.duckdb), Path(args.spark_dir), args.rel_tol, schemas)
    for result in results:
        print(result.line())
    equal = sum(r.equal for r in results)
    print(f"{equal} of {len(results)} tables equal (doubles to {args.rel_tol:g} relative, everything else exactly)")
    return 0 if equal == len(results) else 1


def _compare_duckdb(args: argparse.Namespace) -> int:
    schemas = tuple(name.strip() for name in args.schemas.split(",") if name.strip())
    results = compare_duckdb_builds(Path(args.left), Path(args.right), schemas, args.rel_tol)
    for result in results:
        print(result.line())
    equal = sum(r.equal for r in results)
    print(f"{equal} of {len(results)} tables identical (types, rows; doubles to {args.rel_tol:g} relative)")
    return 0 if equal == len(results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m transform.spark", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build",
        help="export the raw tables of a DuckDB warehouse to the Parquet lake, then dbt build --target spark",
        description="Export every table of the DuckDB warehouse's schema raw to <lake>/raw/<table>/"
        "batch_dt=YYYY-MM-DD/ (Parquet), then run `dbt build --target spark` over it: seeds, models, data "
        "tests and unit tests. Arguments after `--` go to dbt (e.g. -- --select staging).",
    )
    build.add_argument("--warehouse", required=True, help="the DuckDB file whose schema raw holds the raw tables")
    build.add_argument(
        "--home", help="warehouse home: settings and the key file (default: WAREHOUSE_HOME, else the file's folder)"
    )
    build.add_argument("--lake", help="root of the Parquet lake (default: WAREHOUSE_LAKE, else <home>/lake)")
    build.add_argument("--spark-dir", help="the Spark catalog: tables and metastore (default: <home>/spark)")
    build.add_argument("--target-path", help="dbt's artifacts and logs (default: <spark-dir>/dbt)")
    build.add_argument("--skip-export", action="store_true", help="use the lake as it is")
    build.add_argument("--full-refresh", action="store_true", help="dbt --full-refresh")
    build.add_argument("--exclude-unit-tests", action="store_true", help="leave dbt's unit tests out, as a run does")
    build.add_argument(
        "--window",
        nargs=2,
        metavar=("MIN_DATE", "MAX_DATE"),
        help="batch days (YYYY-MM-DD, inclusive) an incremental build rebuilds (vars min_date, max_date); default: all",
    )
    build.add_argument("dbt_args", nargs="*", help="more dbt arguments, after --")
    build.set_defaults(run=_build)

    reference = commands.add_parser(
        "duckdb-build",
        help="the same build on DuckDB from an empty warehouse over the same raw tables (the reference)",
        description="Copy the schema raw of the DuckDB warehouse into a new DuckDB file (--out) and run "
        "`dbt build` (default target, DuckDB) on it: the reference a Spark build is compared with.",
    )
    reference.add_argument("--warehouse", required=True, help="the DuckDB file whose schema raw holds the raw tables")
    reference.add_argument("--out", required=True, help="the new DuckDB file to build (replaced)")
    reference.add_argument(
        "--home", help="warehouse home: settings and the key file (default: WAREHOUSE_HOME, else the file's folder)"
    )
    reference.add_argument("--target-path", help="dbt's artifacts and logs (default: <out>.dbt/)")
    reference.add_argument("--exclude-unit-tests", action="store_true", help="leave dbt's unit tests out")
    reference.add_argument("dbt_args", nargs="*", help="more dbt arguments, after --")
    reference.set_defaults(run=_duckdb_build)

    compare = commands.add_parser(
        "compare",
        help="compare the marts of a Spark build with those of a DuckDB build, cell by cell",
        description="Reads every dbt mart from the Spark catalog's Parquet files (<spark-dir>/warehouse/marts.db/) "
        "and from the DuckDB file, and compares them: same columns, same rows, doubles within --rel-tol "
        "(relative), everything else (decimals included) exactly. Exit 1 when a mart differs.",
    )
    compare.add_argument("--duckdb", required=True, help="DuckDB file with the schema marts built by dbt")
    compare.add_argument("--spark-dir", required=True, help="the Spark catalog folder of the Spark build")
    compare.add_argument("--rel-tol", type=float, default=1e-9, help="relative tolerance of doubles (default 1e-9)")
    compare.add_argument(
        "--schemas",
        default=MART_SCHEMA,
        help="comma-separated schemas to compare (default: marts; e.g. marts,intermediate,staging to find where a "
        "difference starts)",
    )
    compare.set_defaults(run=_compare)

    both = commands.add_parser(
        "compare-duckdb",
        help="compare two DuckDB builds table by table (e.g. this branch's transform against another's)",
        description="Every table of --schemas in two DuckDB files: same tables, column types and rows; doubles "
        "within --rel-tol (default 0: bit for bit). Exit 1 on a difference.",
    )
    both.add_argument("--left", required=True, help="a DuckDB file built by dbt")
    both.add_argument("--right", required=True, help="another DuckDB file built by dbt")
    both.add_argument("--schemas", default="staging,intermediate,marts,utilities", help="comma-separated schemas")
    both.add_argument("--rel-tol", type=float, default=0.0, help="relative tolerance of doubles (default 0)")
    both.set_defaults(run=_compare_duckdb)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
