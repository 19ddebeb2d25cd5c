"""Raw assets: one daily-partitioned asset per landing entity, loading a whole window per step, then
validating it: the quality checks of `quality/` are blocking asset checks of the raw asset."""

from __future__ import annotations

import time

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

from config import Settings
from ingest import ENTITIES, Entity, FileRejected, ingest_window, log_unknown_folders
from orchestration.db import working_db
from orchestration.partitions import single_run
from orchestration.resources import WarehouseResource
from orchestration.window import batch_days_of
from quality import CheckOutcome, check_specs, record_outcomes, upstream_entities, validate_raw

QUARANTINE_CHECK = "quarantine_share"  # one of the quality checks (quality/suites.py)
# The asset that also scans the landing zone for folders the contract does not know (once per run:
# the order system is the one every shop sends).
SCANS_LANDING = "shop_orders"


def raw_key(entity: Entity) -> AssetKey:
    return AssetKey(["raw", entity.name])


def _check_result(outcome: CheckOutcome) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=outcome.check_name,
        passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR if outcome.severity == "error" else AssetCheckSeverity.WARN,
        description=None if outcome.passed else outcome.detail,
        metadata={
            "batch_days": outcome.partition,
            "failed_batch_days": ", ".join(outcome.failed_partitions) or "none",
            "rows_affected": outcome.rows_affected if outcome.rows_affected is not None else "-",
            "detail": outcome.detail,
        },
    )


def build_raw_asset(entity: Entity, partitions_def, settings: Settings) -> AssetsDefinition:
    """The raw asset of `entity`; its checks block publishing when they fail, except those that
    judge volume or arrival, which warn unless the shop opts in (WAREHOUSE_BLOCKING_CHECKS)."""
    key = raw_key(entity)

    @asset(
        key=key,
        # rows of order items, payments and refunds are checked against the orders loaded before them
        deps=[AssetKey(["raw", name]) for name in upstream_entities(entity)],
        partitions_def=partitions_def,
        backfill_policy=single_run,
        group_name="raw",
        kinds={"polars", "duckdb"},
        description=f"Landing files of `{entity.folder}` checked against the contract and loaded into "
        f"`raw.{entity.name}`; bad rows go to `ops.quarantine`, one `ops.ingest_log` row per file. "
        "Then the quality gate: the checks below that are marked blocking stop the run (docs/data-quality.md).",
        check_specs=[
            AssetCheckSpec(spec.name, asset=key, blocking=spec.blocks(settings.blocks), description=spec.description)
            for spec in check_specs(entity)
        ],
        pool="working_db",
    )
    def _raw(context, warehouse: WarehouseResource):
        settings = warehouse.settings()
        days = batch_days_of(context)
        totals = dict(files=0, rows_read=0, rows_loaded=0, rows_quarantined=0, rows_duplicate=0)
        with working_db(settings) as con:
            if entity.name == SCANS_LANDING:
                for folder in log_unknown_folders(con, settings.landing):
                    context.log.warning(
                        f"landing folder {folder}/ is not a system or entity of the contract: not loaded "
                        "(ops.ingest_log, warehouse status)"
                    )
            try:
                results = ingest_window(con, settings.landing, entity, days, settings.tz)
            except FileRejected as rejected:
                raise Failure(description=str(rejected)) from None
            totals["files"] += len(results)
            for r in results:
                for field in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"):
                    totals[field] += getattr(r, field)
            started = time.perf_counter()
            outcomes = validate_raw(
                con, entity, days, settings.tz, settings.max_quarantine_share, blocks=settings.blocks
            )
            # recorded before Dagster hears of them: a run stopped by a gate still leaves its record
            record_outcomes(con, context.run_id, outcomes)
        context.log.info(
            f"{entity.name}: {len(days)} batch day(s), {totals['files']} file(s), {totals['rows_read']} rows read, "
            f"{totals['rows_loaded']} loaded, {totals['rows_quarantined']} quarantined, {totals['rows_duplicate']} duplicates; "
            f"{len(outcomes)} quality checks in {time.perf_counter() - started:.2f}s, "
            f"{sum(not o.passed and o.severity == 'error' for o in outcomes)} failed, "
            f"{sum(not o.passed and o.severity != 'error' for o in outcomes)} warned"
        )
        yield MaterializeResult(metadata={**totals, "batch_days": len(days)})
        for outcome in outcomes:
            yield _check_result(outcome)

    return _raw


def raw_assets(partitions_def, settings: Settings) -> list[AssetsDefinition]:
    return [build_raw_asset(e, partitions_def, settings) for e in ENTITIES]
