"""Metric queries through the semantic layer: dbt semantic models and metrics (transform/models/
semantic/), compiled by MetricFlow and run read-only against the serving database.

MetricFlow connects through the semantic layer's own dbt profile (transform/serving_profile/):
an in-memory DuckDB that attaches the serving file read-only under the working database's name,
so the pipeline can keep writing the working database and swapping in new serving files while
analysts query. The same environment serves `mf query` (see `metricflow_env`, README "Metrics").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from config import Settings
from serving.readers import NotPublishedYet
from serving.semantic_sources import SEMANTIC_SOURCES

# transform/ (as in orchestration/dbt_project.py, which is not imported: it loads dagster-dbt,
# seconds of start-up an analyst's query does not need)
TRANSFORM_DIR = Path(__file__).resolve().parent.parent / "transform"
SERVING_PROFILE_DIR = TRANSFORM_DIR / "serving_profile"

# Time columns MetricFlow returns as timestamps at midnight; every time dimension of the semantic
# models is a local date, so they are dates again in our output.
_DATE_GRAINS = ("__day", "__week", "__month", "__quarter", "__year")


def metricflow_env(settings: Settings) -> dict[str, str]:
    """Environment under which `mf` (and dbt) read the serving database with the serving profile."""
    return {
        "WAREHOUSE_SERVING_DB_PATH": str(settings.serving_db),
        "DBT_PROFILES_DIR": str(SERVING_PROFILE_DIR),
        "DBT_PROJECT_DIR": str(TRANSFORM_DIR),
    }


class MetricQueryError(ValueError):
    """A query MetricFlow cannot resolve (unknown metric or dimension...); the message says why."""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    type: str
    description: str
    dimensions: tuple[str, ...]


def _check_serving(settings: Settings) -> None:
    if not settings.serving_db.exists():
        raise NotPublishedYet(f"no serving database at {settings.serving_db} yet: run `warehouse run` first")
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        served = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall())
    finally:
        con.close()
    missing = [f"{s}.{t}" for s, t in SEMANTIC_SOURCES if (s, t) not in served]
    if missing:
        raise NotPublishedYet(
            f"the serving database lacks the semantic layer's tables ({', '.join(missing)}): "
            "it was published before the semantic layer existed; run `warehouse run` again"
        )


def _newest_project_mtime() -> float:
    watched = [TRANSFORM_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        watched += [p for p in (TRANSFORM_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in watched if p.exists())


def _ensure_semantic_manifest(settings: Settings) -> Path:
    """target/semantic_manifest.json (what MetricFlow compiles from), re-parsed when missing or
    older than any project file. Parsed with the pipeline's own target and environment, as
    orchestration.dbt_project.ensure_manifest does, so dbt's partial parse stays valid for it."""
    semantic = TRANSFORM_DIR / "target" / "semantic_manifest.json"
    if semantic.exists() and semantic.stat().st_mtime >= _newest_project_mtime():
        return semantic
    from dbt.cli.main import dbtRunner

    saved = dict(os.environ)
    os.environ.update(settings.dbt_env())
    try:
        result = dbtRunner().invoke(
            ["parse", "--quiet", "--project-dir", str(TRANSFORM_DIR), "--profiles-dir", str(TRANSFORM_DIR)]
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if not result.success or not semantic.exists():
        raise RuntimeError(f"dbt parse failed, so there is no current {semantic}: {result.exception}")
    return semantic


class MetricEngine:
    """A MetricFlow engine over the serving database. Builds the dbt adapter once (a few seconds),
    then answers any number of queries. It sets the process environment and dbt's global state
    (MetricFlow configures dbt that way), so use it in a process of its own, as the CLI does."""

    def __init__(self, settings: Settings) -> None:
        _check_serving(settings)
        _ensure_semantic_manifest(settings)
        os.environ.update(metricflow_env(settings))
        from dbt_metricflow.cli.cli_configuration import CLIConfiguration

        self._cfg = CLIConfiguration()
        self._cfg.setup(
            dbt_profiles_path=SERVING_PROFILE_DIR, dbt_project_path=TRANSFORM_DIR, configure_file_logging=False
        )

    def list_metrics(self) -> list[MetricInfo]:
        return sorted(
            (
                MetricInfo(
                    name=m.name,
                    type=str(m.type.value if hasattr(m.type, "value") else m.type),
                    description=(m.description or "").strip(),
                    dimensions=tuple(sorted({d.granularity_free_dunder_name for d in m.dimensions})),
                )
                for m in self._cfg.mf.list_metrics()
            ),
            key=lambda m: m.name,
        )

    def _request(self, metrics, group_by, where, start, end, order, limit):
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        return MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by) or None,
            where_constraints=list(where) or None,
            time_constraint_start=_as_datetime(start),
            time_constraint_end=_as_datetime(end),
            # stable output: by the group-by columns unless told otherwise
            order_by_names=list(order) or list(group_by) or None,
            limit=limit,
        )

    def _resolve(self, call, *request):
        from metricflow_semantics.errors.error_classes import InvalidQueryException

        try:
            return call(mf_request=self._request(*request))
        except InvalidQueryException as exc:
            raise MetricQueryError(str(exc).strip()) from exc

    def query(
        self,
        metrics: list[str],
        group_by: list[str] = (),
        where: list[str] = (),
        start: date | None = None,
        end: date | None = None,
        order: list[str] = (),
        limit: int | None = None,
    ) -> pl.DataFrame:
        """Metrics by the group-by items (e.g. `metric_time__day`, `order__platform`), as a frame."""
        result = self._resolve(self._cfg.mf.query, metrics, group_by, where, start, end, order, limit)
        table = result.result_df
        frame = pl.DataFrame(
            [list(r) for r in table.rows], schema=list(table.column_names), orient="row", infer_schema_length=None
        )
        return _local_dates(frame)

    def explain(
        self,
        metrics: list[str],
        group_by: list[str] = (),
        where: list[str] = (),
        start: date | None = None,
        end: date | None = None,
        order: list[str] = (),
        limit: int | None = None,
    ) -> str:
        """The SQL MetricFlow would run for this query."""
        result = self._resolve(self._cfg.mf.explain, metrics, group_by, where, start, end, order, limit)
        return result.sql_statement.without_descriptions.sql


def _as_datetime(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day)


def _local_dates(frame: pl.DataFrame) -> pl.DataFrame:
    casts = [
        pl.col(name).cast(pl.Date)
        for name, dtype in frame.schema.items()
        if name.endswith(_DATE_GRAINS) and isinstance(dtype, pl.Datetime)
    ]
    return frame.with_columns(casts) if casts else frame
