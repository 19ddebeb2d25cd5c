"""Metric queries through the semantic layer: dbt semantic models and metrics (transform/models/
semantic/), compiled by MetricFlow and run read-only against the serving database.

MetricFlow reads the project's semantic manifest (transform.parsed_project) and compiles a
request into SQL, kept for the next time the same request is asked (serving/compiled_queries.py);
the SQL runs on an in-memory DuckDB session that attaches the serving file read-only under the
working database's name (`warehouse`), so the relation names dbt wrote into the manifest resolve
to the published copies while the pipeline keeps writing. No dbt adapter, profile or environment
is involved. `mf query` by hand uses the semantic layer's dbt profile (transform/serving_profile/)
under `metricflow_env` (README, "Metrics").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb
import polars as pl

from config import Settings
from serving.compiled_queries import CompiledQueries
from serving.readers import NotPublishedYet
from serving.semantic_sources import SEMANTIC_SOURCES
from transform import TRANSFORM_DIR, parsed_project

SERVING_PROFILE_DIR = TRANSFORM_DIR / "serving_profile"
# the working database's name, under which dbt wrote every relation into the manifest
MANIFEST_DATABASE = "warehouse"

# Time columns MetricFlow returns as timestamps at midnight; every time dimension of the semantic
# models is a local date, so they are dates again in our output.
_DATE_GRAINS = ("__day", "__week", "__month", "__quarter", "__year")


def metricflow_env(settings: Settings) -> dict[str, str]:
    """Environment under which `mf` (and dbt) read the serving database with the serving profile,
    for an analyst's shell (the engine below needs none of it)."""
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


def _attach_serving(con, serving_db) -> None:
    """The serving file read-only under the name dbt wrote into the manifest, in the zone the
    generated SQL assumes."""
    con.execute(f"ATTACH '{serving_db}' AS {MANIFEST_DATABASE} (READ_ONLY)")
    con.execute("SET TimeZone = 'UTC'")


class _ServingSqlClient:
    """MetricFlow's SqlClient (metricflow.protocols.sql_client) over one read-only DuckDB session."""

    def __init__(self, serving_db) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self._con = duckdb.connect(":memory:")
        _attach_serving(self._con, serving_db)
        self.sql_engine_type = SqlEngine.DUCKDB
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()

    def query(self, stmt: str, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        cursor = self._con.execute(stmt, self.parameters(sql_bind_parameter_set))
        columns = [d[0] for d in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._con.execute(stmt, self.parameters(sql_bind_parameter_set))

    def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._con.execute(f"EXPLAIN {stmt}", self.parameters(sql_bind_parameter_set))

    def close(self) -> None:
        self._con.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"

    @staticmethod
    def parameters(parameter_set) -> dict | None:
        if parameter_set is None or not parameter_set.param_dict:
            return None
        return dict(parameter_set.param_dict)


class MetricEngine:
    """Metric queries over the serving database. A request asked before (for the same semantic
    manifest) runs its kept SQL (serving/compiled_queries.py); any other is compiled by MetricFlow,
    built on first need from the semantic manifest read once, and kept."""

    def __init__(self, settings: Settings) -> None:
        _check_serving(settings)
        self._serving_db = settings.serving_db
        self._manifest_json = (parsed_project(settings) / "semantic_manifest.json").read_text()
        self._compiled = CompiledQueries(settings.dbt_dir / "metric_queries", self._manifest_json.encode())
        self._engine = None

    def _metricflow(self):
        if self._engine is None:
            from metricflow.engine.metricflow_engine import MetricFlowEngine
            from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
            from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

            manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=self._manifest_json)
            self._engine = MetricFlowEngine(
                semantic_manifest_lookup=SemanticManifestLookup(manifest),
                sql_client=_ServingSqlClient(self._serving_db),
            )
        return self._engine

    def list_metrics(self) -> list[MetricInfo]:
        kept = self._compiled.get("list")
        if kept is None:
            kept = [
                {
                    "name": m.name,
                    "type": str(m.type.value if hasattr(m.type, "value") else m.type),
                    "description": (m.description or "").strip(),
                    "dimensions": sorted({d.granularity_free_dunder_name for d in m.dimensions}),
                }
                for m in self._metricflow().list_metrics()
            ]
            self._compiled.put("list", kept)
        return sorted((MetricInfo(**{**m, "dimensions": tuple(m["dimensions"])}) for m in kept), key=lambda m: m.name)

    def _compile(self, metrics, group_by, where, start, end, order, limit) -> dict:
        """{"sql": ..., "parameters": {...}} of a request: kept, or compiled by MetricFlow and kept."""
        request = [list(metrics), list(group_by), list(where), start, end, list(order), limit]
        kept = self._compiled.get(request)
        if kept is not None:
            return kept
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest
        from metricflow_semantics.errors.error_classes import InvalidQueryException

        mf_request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by) or None,
            where_constraints=list(where) or None,
            time_constraint_start=_as_datetime(start),
            time_constraint_end=_as_datetime(end),
            # stable output: by the group-by columns unless told otherwise
            order_by_names=list(order) or list(group_by) or None,
            limit=limit,
        )
        try:
            statement = self._metricflow().explain(mf_request=mf_request).sql_statement
        except InvalidQueryException as exc:
            raise MetricQueryError(str(exc).strip()) from exc
        compiled = {
            "sql": statement.without_descriptions.sql,
            "parameters": _ServingSqlClient.parameters(statement.bind_parameter_set),
        }
        if _json_safe(compiled["parameters"]):
            self._compiled.put(request, compiled)
        return compiled

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
        compiled = self._compile(metrics, group_by, where, start, end, order, limit)
        con = duckdb.connect(":memory:")
        try:
            _attach_serving(con, self._serving_db)
            cursor = con.execute(compiled["sql"], compiled["parameters"])
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            con.close()
        frame = pl.DataFrame([_cells(r) for r in rows], schema=columns, orient="row", infer_schema_length=None)
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
        """The SQL MetricFlow generates for this query."""
        return self._compile(metrics, group_by, where, start, end, order, limit)["sql"]


def _cells(row: tuple) -> list:
    """A result row with MetricFlow's cell types (metricflow.data_table.mf_table): decimals as
    doubles, dates as midnights, instants without their zone; a kept query's answer is typed as a
    compiled one's."""
    cells = []
    for value in row:
        if isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, datetime):
            value = value.replace(tzinfo=None)
        elif isinstance(value, date):
            value = datetime.combine(value, datetime.min.time())
        cells.append(value)
    return cells


def _json_safe(value) -> bool:
    try:
        json.dumps(value)
    except TypeError:  # a bind value JSON cannot hold (a datetime): compiled again next time
        return False
    return True


def _as_datetime(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day)


def _local_dates(frame: pl.DataFrame) -> pl.DataFrame:
    casts = [
        pl.col(name).cast(pl.Date)
        for name, dtype in frame.schema.items()
        if name.endswith(_DATE_GRAINS) and isinstance(dtype, pl.Datetime)
    ]
    return frame.with_columns(casts) if casts else frame
