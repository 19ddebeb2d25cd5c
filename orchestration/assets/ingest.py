"""Raw assets: one daily-partitioned asset per landing entity, loading a whole window per step."""

from __future__ import annotations

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    asset,
)

from ingest.contract import ENTITIES, Entity
from ingest.load import FileRejected, ingest_partition
from orchestration.db import working_db
from orchestration.partitions import batch_days, single_run
from orchestration.settings import load_settings
from orchestration.window import batch_days_of

QUARANTINE_CHECK = "quarantine_share"


def raw_key(entity: Entity) -> AssetKey:
    return AssetKey(["raw", entity.name])


def _quarantine_breaches(con, entity: Entity, days, max_share: float) -> list[tuple]:
    """Batch days of the window whose quarantined share of rows exceeds the gate."""
    return con.execute(
        """
        SELECT batch_dt, sum(rows_quarantined) AS quarantined, sum(rows_read) AS read
        FROM ops.ingest_log
        WHERE entity = ? AND batch_dt BETWEEN ? AND ?
        GROUP BY batch_dt
        HAVING sum(rows_read) > 0 AND sum(rows_quarantined) / sum(rows_read) > ?
        ORDER BY batch_dt
        """,
        [entity.name, days[0], days[-1], max_share],
    ).fetchall()


def build_raw_asset(entity: Entity) -> AssetsDefinition:
    key = raw_key(entity)

    @asset(
        key=key,
        partitions_def=batch_days,
        backfill_policy=single_run,
        group_name="raw",
        kinds={"polars", "duckdb"},
        description=f"Landing files of `{entity.folder}` checked against the contract and loaded into "
        f"`raw.{entity.name}`; bad rows go to `ops.quarantine`, one `ops.ingest_log` row per file.",
        check_specs=[
            AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                blocking=True,
                description="Quarantined share of each batch day's rows stays within WAREHOUSE_MAX_QUARANTINE_SHARE.",
            )
        ],
        pool="working_db",
    )
    def _raw(context):
        settings = load_settings()
        days = batch_days_of(context)
        totals = dict(files=0, rows_read=0, rows_loaded=0, rows_quarantined=0, rows_duplicate=0)
        with working_db(settings) as con:
            for dt in days:
                try:
                    results = ingest_partition(con, settings.landing, entity, dt, settings.tz)
                except FileRejected as rejected:
                    raise Failure(description=str(rejected)) from None
                totals["files"] += len(results)
                for r in results:
                    for field in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"):
                        totals[field] += getattr(r, field)
            breaches = _quarantine_breaches(con, entity, days, settings.max_quarantine_share)
        context.log.info(
            f"{entity.name}: {len(days)} batch day(s), {totals['files']} file(s), {totals['rows_read']} rows read, "
            f"{totals['rows_loaded']} loaded, {totals['rows_quarantined']} quarantined, {totals['rows_duplicate']} duplicates"
        )
        yield MaterializeResult(metadata={**totals, "batch_days": len(days)})
        yield AssetCheckResult(
            check_name=QUARANTINE_CHECK,
            passed=not breaches,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "max_share": settings.max_quarantine_share,
                "breaches": "; ".join(f"dt={d}: {q} of {n} rows quarantined" for d, q, n in breaches) or "none",
            },
            description=(
                f"{entity.name}: quarantined share above {settings.max_quarantine_share:.0%} on "
                + ", ".join(str(d) for d, _, _ in breaches)
                if breaches
                else None
            ),
        )

    return _raw


raw_assets = [build_raw_asset(e) for e in ENTITIES]
