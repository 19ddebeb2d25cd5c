"""Every dbt model as an asset, built by ONE `dbt build` per run whatever the number of batch days
(the window is handed to dbt in the working database), then checked by the project's data tests
(transform/data_tests.py; on Spark dbt's build runs them). On DuckDB dbt runs in the run's own
process (transform/in_process.py), on Spark in a dbt process of its own (dagster-dbt's CLI)."""

import time
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetObservation, Config, Failure
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from config import Settings
from orchestration.db import working_db
from orchestration.dbt_project import InProcessBuild
from orchestration.partitions import history_start
from orchestration.resources import WarehouseResource
from orchestration.run_events import DBT_TEST_METADATA
from orchestration.window import window_of_run
from quality import CheckOutcome, dbt_test_outcomes, record_outcomes
from transform import (
    FAILED_STATUSES,
    RUN_EXCLUDES,
    RUN_LOG_LEVEL,
    RUN_QUIET_FILES,
    TESTS_LEFT_TO_THE_RUN,
    BuildResults,
    all_cores,
    build_args,
    carry_parse_state,
    checkpoint_behind,
    clear_run_window,
    data_test_pass,
    keep_parse_state,
    land_spark_tables,
    prune_runs,
    runs_dir,
    set_run_window,
    share_cores,
    shares_cores,
    vars_arg,
)


class WarehouseTranslator(DagsterDbtTranslator):
    """Sources keep dbt's [source, table] key (`raw/shop_orders`, the ingest assets); models are
    keyed and grouped by their layer folder (`staging`, `intermediate`, `marts`)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)


def _layer(props: Mapping[str, Any]) -> str:
    fqn = props.get("fqn") or []
    if props["resource_type"] == "seed":
        return "seeds"
    return fqn[1] if len(fqn) > 2 else "transform"


# dbt's data tests are not declared as Dagster asset checks: each would cost two events in the
# instance's SQLite event log per run (planned, evaluated), ~1,300 writes that took as much CPU as
# dbt itself on a daily run. Every test's outcome goes to ops.check_results (marts.data_health, the
# health page); the tests that did not pass are logged to Dagster as observations of the asset they
# test (`warehouse status`, the run summary), and a failed test fails the step.
translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))


def dbt_window_vars(context: AssetExecutionContext, settings: Settings) -> dict[str, str]:
    """The run's batch days as dbt vars; a run without a window rebuilds every loaded day."""
    window = window_of_run(context.run.tags)
    if window is None:
        window = (history_start(settings), settings.yesterday())
    return {"min_date": window[0].isoformat(), "max_date": window[1].isoformat()}


class TransformConfig(Config):
    """Run config of the dbt step (Dagster UI launchpad: ops.transform.config)."""

    full_refresh: bool = False  # dbt --full-refresh: rebuild every incremental model from all raw rows
    lookback_days: int | None = None  # override dbt var lookback_days (transform/macros/incremental.sql)


# A window holding at least this share of the loaded batch days is built with --full-refresh:
# rebuilding (nearly) every day through the incremental path cost 2x a full build on the medium
# shop (docs/performance.md), and both give the same tables (tests/integration/test_incremental.py).
FULL_REFRESH_SHARE = 0.5


def full_refresh_is_cheaper(days_in_window: int, days_loaded: int, share: float = FULL_REFRESH_SHARE) -> bool:
    """Whether a window holding `days_in_window` of the `days_loaded` batch days (any entity)
    should be built from scratch rather than incrementally."""
    return days_loaded > 0 and days_in_window >= share * days_loaded


def batch_days_in_window(con, window: Mapping[str, str]) -> tuple[int, int]:
    """(loaded batch days inside the window, loaded batch days in all) from ops.ingest_log."""
    return con.execute(
        "SELECT count(DISTINCT batch_dt) FILTER (WHERE batch_dt BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)), "
        "count(DISTINCT batch_dt) FROM ops.ingest_log WHERE status = 'loaded'",
        [window["min_date"], window["max_date"]],
    ).fetchone()


def dbt_build_args(
    settings: Settings,
    config: TransformConfig,
    full_refresh: bool = False,
    engine: tuple[list[str], dict[str, str]] = ([], {}),
    dbt_files: bool = False,
    dbt_tests: bool = False,
) -> list[str]:
    """The one `dbt build` of a run: the settings as vars (the window is in the working database,
    transform/project.py), --full-refresh when asked for (config) or when it is cheaper
    (`full_refresh`); dbt's unit tests left out, and its data tests too unless `dbt_tests` (the run
    runs them itself: transform/data_tests.py); dbt's JSON artifacts and log file (info level)
    only with `dbt_files`, else the run keeps what dbt prints (transform/build_results.py).
    `engine`: the arguments and vars another engine adds (transform/engine.py, Spark)."""
    engine_args, engine_vars = engine
    variables = {**engine_vars, **({} if config.lookback_days is None else {"lookback_days": config.lookback_days})}
    refresh = config.full_refresh or full_refresh
    return (
        ["build", *engine_args, *RUN_EXCLUDES, *vars_arg(settings, variables)]
        + (RUN_LOG_LEVEL if dbt_files else RUN_QUIET_FILES)
        + ([] if dbt_tests else TESTS_LEFT_TO_THE_RUN)
        + (["--full-refresh"] if refresh else [])
    )


def full_test_pass_because(config: TransformConfig, full_refresh: bool) -> str | None:
    """Why this run's data tests must read every row whatever they passed before, if they must:
    a full refresh rebuilds every row; another lookback rebuilds other session days than the ones
    the compiled tests name (macros/test_scope.sql)."""
    if config.full_refresh or full_refresh:
        return "full refresh"
    if config.lookback_days is not None:
        return f"lookback_days {config.lookback_days}"
    return None


def build_transform_assets(project: DbtProject):
    """Every dbt model and test of the project, built by one `dbt build` per run (not partitioned:
    the window comes from the run's tags, orchestration/window.py)."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        name="transform",
        pool="working_db",
    )
    def transform_assets(
        context: AssetExecutionContext, dbt: DbtCliResource, config: TransformConfig, warehouse: WarehouseResource
    ):
        settings = warehouse.settings()
        window = dbt_window_vars(context, settings)
        cheaper = False
        with working_db(settings) as con:
            set_run_window(con, window["min_date"], window["max_date"])
            if not config.full_refresh:
                in_window, loaded = batch_days_in_window(con, window)
                cheaper = full_refresh_is_cheaper(in_window, loaded)
            spark = settings.engine == "spark"
            # a small run: each query on a share of the cores, its tests too (DuckDB's setting is the database's)
            if not spark and shares_cores(window["min_date"], window["max_date"], config.full_refresh or cheaper):
                share_cores(con)
        if cheaper:
            context.log.info(
                f"the window holds {in_window} of the {loaded} loaded batch days: dbt --full-refresh "
                f"(same tables, faster than rebuilding them day by day)"
            )
        # artifacts under the home (never in the code), one folder per invocation, the last few kept
        target = runs_dir(settings) / f"{context.run_id[:8]}-{time.strftime('%Y%m%dT%H%M%S')}"
        carry_parse_state(settings, target)
        engine = build_args(settings, (window["min_date"], window["max_date"])) if spark else ([], {})
        # Spark's landing reads the tables' columns from the run's manifest.json: dbt writes its
        # files; Spark runs dbt's tests in dbt (the compiled tests here are DuckDB's SQL)
        args = dbt_build_args(settings, config, cheaper, engine, dbt_files=spark, dbt_tests=spark)
        if spark:
            invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target)
        else:
            invocation = InProcessBuild(context, settings.home, args, target)
        results = BuildResults()
        if spark:
            yield from _asset_events(context, invocation, target, results)
            # a build that stopped half-way leaves the window; the next run replaces it
            with working_db(settings) as con:
                clear_run_window(con)
                if invocation.is_successful():
                    landed = land_spark_tables(con, settings, invocation.get_artifact("manifest.json"))
                    context.log.info(f"Spark's build landed in the working database: {len(landed)} tables")
        else:
            invocation.run()  # to its end: its events follow while its writes are checkpointed
            with working_db(settings) as con:
                with checkpoint_behind(con):
                    yield from _asset_events(context, invocation, target, results)
                    # after a failed build, only the tests of what it built
                    built = None if invocation.is_successful() else results.statuses()
                    because = full_test_pass_because(config, cheaper)
                    tested = data_test_pass(con, settings, context.run_id, because, built)
                clear_run_window(con)  # after the tests, which do not read it
                all_cores(con)
            results.extend(tested.results)
            context.log.info(tested.summary())
            results.write(target)
        keep_parse_state(settings, target)
        prune_runs(settings)
        # before failing: a failed build still leaves its record
        for outcome in record_dbt_tests(context, invocation.manifest, results.run_results(), settings, window):
            if not outcome.passed:
                context.log_event(
                    AssetObservation(
                        asset_key=AssetKey(outcome.asset.split(".")),
                        metadata={
                            DBT_TEST_METADATA: outcome.check_name,
                            "severity": outcome.severity,
                            "detail": outcome.detail,
                        },
                    )
                )
        if not invocation.is_successful() or results.failed():
            raise Failure(description=dbt_failure_summary(results.run_results(), getattr(invocation, "error", None)))

    return transform_assets


def _asset_events(context: AssetExecutionContext, invocation, target, results: BuildResults):
    """The Dagster events of dbt's events (a model's materialization), each kept in `results`; a
    test's result is left out (record_dbt_tests records it)."""
    for line in invocation.stream_raw_events():
        results.add(line.raw_event)
        yield from (
            event
            for event in line.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=target,
                project=invocation.project,
            )
            if not isinstance(event, AssetObservation)
        )


def record_dbt_tests(
    context: AssetExecutionContext,
    manifest: Mapping[str, Any],
    run_results: Mapping[str, Any],
    settings: Settings,
    window: Mapping[str, str],
) -> list[CheckOutcome]:
    """Every data test of this dbt build into ops.check_results (quality/results.py)."""
    partition = (
        window["min_date"]
        if window["min_date"] == window["max_date"]
        else f"{window['min_date']}..{window['max_date']}"
    )
    outcomes = dbt_test_outcomes(
        run_results,
        manifest,
        partition,
        asset_of=lambda props: ".".join(translator.get_asset_key(props).path),
    )
    with working_db(settings) as con:
        record_outcomes(con, context.run_id, outcomes)
    return outcomes


def dbt_failure_summary(run_results: Mapping[str, Any], error: str | None = None, limit: int = 3) -> str:
    """One line naming what failed in a dbt invocation: `dbt build failed: model int_orders
    (Out of Range Error: ...); test unique_kpi_daily_date (Got 2 results, ...)`; `error`: why dbt
    stopped before running a node, when it did."""
    failed = [r for r in run_results.get("results", []) if r.get("status") in FAILED_STATUSES]
    if not failed:
        return f"dbt build failed: {error}" if error else "dbt build failed (see the log)"
    parts = []
    for result in failed[:limit]:
        kind, _, name = result["unique_id"].partition(".")
        name = name.split(".")[1] if name.count(".") >= 1 else name
        lines = [line.strip() for line in (result.get("message") or "").splitlines() if line.strip()]
        # "Runtime Error in model x (path)" is a header: the reason is on the line after it
        header = len(lines) > 1 and " in " in lines[0] and lines[0].split(" in ")[0].endswith("Error")
        detail = lines[1] if header else (lines[0] if lines else result["status"])
        parts.append(f"{kind} {name} ({detail})")
    more = f"; and {len(failed) - limit} more" if len(failed) > limit else ""
    return "dbt build failed: " + "; ".join(parts) + more


def mart_keys(transform_assets) -> list[AssetKey]:
    return [key for key in transform_assets.keys if key.path[0] == "marts"]
