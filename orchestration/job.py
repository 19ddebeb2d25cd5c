"""The warehouse job and its Definitions, built for the settings a run or the UI starts with: the
batch-day partitions start where the shop's history starts (orchestration/partitions.py) and the
checks a shop opted in to block (WAREHOUSE_BLOCKING_CHECKS)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from dagster import AssetSelection, Definitions, build_schedule_from_partitioned_job, define_asset_job

from config import Settings, load_settings
from orchestration.assets.analytics import analytics_assets
from orchestration.assets.ingest import raw_assets
from orchestration.assets.serve import serving_assets
from orchestration.assets.transform import build_transform_assets, mart_keys
from orchestration.dbt_project import dbt_resource
from orchestration.partitions import batch_days_partitions, history_start
from orchestration.run_events import dagster_logger
from orchestration.sensors import build_landing_sensor

JOB_NAME = "warehouse_job"


def build_definitions(settings: Settings) -> Definitions:
    """Ingest -> gate -> dbt build -> statistics marts -> publish -> dashboards, for one batch day
    or a range, as one run. Built once per process for the same history start, zone and checks."""
    return _definitions(history_start(settings), settings.tz, settings.blocking_checks)


@lru_cache(maxsize=8)
def _definitions(start: date, tz: str, blocking_checks: str) -> Definitions:
    partitions = batch_days_partitions(start, tz)
    settings = load_settings(tz=tz, blocking_checks=blocking_checks)
    transform = build_transform_assets()
    # the job's partitions are the raw assets' batch days; the rest runs once per run
    job = define_asset_job(JOB_NAME, selection=AssetSelection.all())
    return Definitions(
        assets=[
            *raw_assets(partitions, settings),
            transform,
            *analytics_assets(),
            *serving_assets(mart_keys(transform)),
        ],
        jobs=[job],
        # Every morning at 02:00 in the reporting zone: yesterday's batch (off by default, as
        # Dagster schedules are; the landing sensor below is on).
        schedules=[build_schedule_from_partitioned_job(job, hour_of_day=2)],
        # New `dt=` folders, late folders of old days and changed files: a run as soon as they
        # settle (orchestration/sensors.py).
        sensors=[build_landing_sensor(job)],
        resources={"dbt": dbt_resource()},
        # Dagster's messages go to the warehouse log, not the console (orchestration/run_events.py)
        loggers={"warehouse": dagster_logger},
    )
