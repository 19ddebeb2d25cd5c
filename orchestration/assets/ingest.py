"""Raw assets: one daily-partitioned asset per landing entity, all loaded by one step that takes a
whole window and two entities at a time (orchestration/entity_schedule.py), each validated once
loaded: the quality checks of `quality/` are blocking asset checks of its raw asset."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    multi_asset,
)

from config import Settings
from ingest import ENTITIES, ENTITY_BY_NAME, Entity, FileRejected, ingest_window, log_unknown_folders, partition_dir
from orchestration.db import working_db
from orchestration.entity_schedule import Done, run_entities
from orchestration.partitions import single_run
from orchestration.resources import WarehouseResource
from orchestration.run_events import RAW_STEP
from orchestration.window import batch_days_of
from quality import (
    CheckOutcome,
    check_specs,
    ensure_check_results,
    record_outcomes,
    upstream_entities,
    validate_raw,
)

_TOTALS = ("files", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")


def raw_key(entity: Entity) -> AssetKey:
    return AssetKey(["raw", entity.name])


@dataclass
class LoadedEntity:
    """One entity's load and checks, as its worker leaves them for the step to report."""

    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TOTALS, 0))
    outcomes: list[CheckOutcome] = field(default_factory=list)
    check_seconds: float = 0.0
    rejected: str | None = None  # why a file of the window was rejected

    @property
    def blocked(self) -> bool:
        return any(not o.passed and o.severity == "error" for o in self.outcomes)


def _check_result(entity: Entity, outcome: CheckOutcome) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=raw_key(entity),
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


def _spec(entity: Entity) -> AssetSpec:
    return AssetSpec(
        raw_key(entity),
        # rows of order items, payments and refunds are checked against the orders loaded before them
        deps=[AssetKey(["raw", name]) for name in upstream_entities(entity)],
        group_name="raw",
        kinds={"polars", "duckdb"},
        description=f"Landing files of `{entity.folder}` checked against the contract and loaded into "
        f"`raw.{entity.name}`; bad rows go to `ops.quarantine`, one `ops.ingest_log` row per file. "
        "Then the quality gate: the checks below that are marked blocking stop the run (docs/data-quality.md).",
        # not materialized when a file is rejected or an entity it points into stopped
        skippable=True,
    )


def _window_bytes(landing: Path, entity: Entity, days: list[date]) -> int:
    """The size of the entity's landing files in the window: the larger loads start first."""
    total = 0
    for day in days:
        try:
            with os.scandir(partition_dir(landing, entity, day)) as files:
                total += sum(f.stat().st_size for f in files if f.is_file())
        except FileNotFoundError:
            continue
    return total


def _load(session, settings: Settings, run_id: str, entity: Entity, days: list[date]) -> LoadedEntity:
    """Load one entity's window and validate it, on a DuckDB session of its own."""
    loaded = LoadedEntity()
    try:
        results = ingest_window(session, settings.landing, entity, days, settings.tz)
    except FileRejected as rejected:
        loaded.rejected = str(rejected)
        return loaded
    loaded.totals["files"] = len(results)
    for r in results:
        for name in _TOTALS[1:]:
            loaded.totals[name] += getattr(r, name)
    started = time.perf_counter()
    loaded.outcomes = validate_raw(
        session, entity, days, settings.tz, settings.max_quarantine_share, blocks=settings.blocks
    )
    # recorded before Dagster hears of them: a run stopped by a gate still leaves its record
    record_outcomes(session, run_id, loaded.outcomes)
    loaded.check_seconds = time.perf_counter() - started
    return loaded


def load_and_check(con, settings: Settings, run_id: str, entities: list[Entity], days: list[date]) -> Iterator[Done]:
    """Load and check `entities` over `days` as the raw step does, two at a time, each on a DuckDB
    session of its own (the step, and the benchmark's `raw` stage); each entity's outcome (a
    `Done` of `LoadedEntity`) as it ends."""
    with ExitStack() as sessions:
        # a session per entity, opened here: the workers only use them
        session = {e.name: sessions.enter_context(closing(con.cursor())) for e in entities}
        # the table every worker records its checks in, created before they start: two
        # sessions creating it at once conflict in DuckDB's catalog (a new warehouse's first run)
        ensure_check_results(con)
        sizes = {e.name: _window_bytes(settings.landing, e, days) for e in entities}
        yield from run_entities(
            [e.name for e in entities],
            work=lambda name: _load(session[name], settings, run_id, ENTITY_BY_NAME[name], days),
            upstream=lambda name: upstream_entities(ENTITY_BY_NAME[name]),
            size=sizes.__getitem__,
            stopped=lambda loaded: loaded.rejected is not None or loaded.blocked,
        )


def raw_assets(partitions_def, settings: Settings) -> AssetsDefinition:
    """The raw asset of every entity, with its checks; a check blocks publishing when it fails,
    except those that judge volume or arrival, which warn unless the shop opts in
    (WAREHOUSE_BLOCKING_CHECKS)."""

    @multi_asset(
        name=RAW_STEP,
        specs=[_spec(e) for e in ENTITIES],
        check_specs=[
            AssetCheckSpec(
                spec.name, asset=raw_key(e), blocking=spec.blocks(settings.blocks), description=spec.description
            )
            for e in ENTITIES
            for spec in check_specs(e)
        ],
        partitions_def=partitions_def,
        backfill_policy=single_run,
        can_subset=True,
        pool="working_db",
    )
    def _raw(context, warehouse: WarehouseResource):
        settings = warehouse.settings()
        days = batch_days_of(context)
        selected = [e for e in ENTITIES if raw_key(e) in context.selected_asset_keys]
        rejected: list[str] = []
        with working_db(settings) as con:
            for folder in log_unknown_folders(con, settings.landing):
                context.log.warning(
                    f"landing folder {folder}/ is not a system or entity of the contract: not loaded "
                    "(ops.ingest_log, warehouse status)"
                )
            for done in load_and_check(con, settings, context.run_id, selected, days):
                entity = ENTITY_BY_NAME[done.name]
                if done.skipped_because:
                    context.log.warning(f"{entity.name}: not loaded, because {done.skipped_because} stopped the run")
                    continue
                loaded = done.result
                if loaded.rejected:
                    context.log.error(f"{entity.name}: {loaded.rejected}")
                    rejected.append(loaded.rejected)
                    continue
                totals, outcomes = loaded.totals, loaded.outcomes
                context.log.info(
                    f"{entity.name}: {len(days)} batch day(s), {totals['files']} file(s), {totals['rows_read']} rows read, "
                    f"{totals['rows_loaded']} loaded, {totals['rows_quarantined']} quarantined, {totals['rows_duplicate']} duplicates; "
                    f"{len(outcomes)} quality checks in {loaded.check_seconds:.2f}s, "
                    f"{sum(not o.passed and o.severity == 'error' for o in outcomes)} failed, "
                    f"{sum(not o.passed and o.severity != 'error' for o in outcomes)} warned"
                )
                yield MaterializeResult(asset_key=raw_key(entity), metadata={**totals, "batch_days": len(days)})
                for outcome in outcomes:
                    yield _check_result(entity, outcome)
        if rejected:
            raise Failure(description="; ".join(rejected))

    return _raw
