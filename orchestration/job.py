"""The warehouse job and its Definitions, built for the settings a run or the UI starts with: the
batch-day partitions start where the shop's history starts (orchestration/partitions.py), the
checks a shop opted in to block (WAREHOUSE_BLOCKING_CHECKS), and the settings every asset reads
from the `warehouse` resource (orchestration/resources.py)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from dagster import AssetSelection, Definitions, build_schedule_from_partitioned_job, define_asset_job

from config import Settings
from orchestration.assets.analytics import analytics_assets
from orchestration.assets.ingest import raw_assets
from orchestration.assets.serve import serving_assets
from orchestration.assets.transform import build_transform_assets, mart_keys
from orchestration.dbt_project import dbt_project, dbt_resource
from orchestration.partitions import batch_days_partitions, history_start
from orchestration.resources import WarehouseResource
from orchestration.run_events import dagster_logger
from orchestration.sensors import build_landing_sensor

JOB_NAME = "warehouse_job"


def build_definitions(settings: Settings, start: date | None = None) -> Definitions:
    """Ingest -> gate -> dbt build -> statistics marts -> publish -> dashboards, for one batch day
    or a range, as one run. Built once per process for the same settings and history start
    (`start`: the history start, when the caller knows it already)."""
    return _definitions(settings, start or history_start(settings))


@lru_cache(maxsize=8)
def _definitions(settings: Settings, start: date) -> Definitions:
    partitions = batch_days_partitions(start, settings.tz)
    project = dbt_project(settings)
    transform = build_transform_assets(project)
    # the job's partitions are the raw assets' batch days; the rest runs once per run
    job = define_asset_job(JOB_NAME, selection=AssetSelection.all())
    return Definitions(
        assets=[
            raw_assets(partitions, settings),
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
        resources={"dbt": dbt_resource(project, settings), "warehouse": WarehouseResource.of(settings)},
        # Dagster's messages go to the warehouse log, not the console (orchestration/run_events.py)
        loggers={"warehouse": dagster_logger},
    )
