"""The one Dagster `Definitions` of the warehouse: `dagster dev -m orchestration.definitions`."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, build_schedule_from_partitioned_job, define_asset_job

from orchestration.assets.analytics import analytics_assets
from orchestration.assets.ingest import raw_assets
from orchestration.assets.serve import dashboards_site, serving_database
from orchestration.assets.transform import transform_assets
from orchestration.dbt_project import dbt_resource
from orchestration.partitions import batch_days
from orchestration.sensors import build_landing_sensor

JOB_NAME = "warehouse_job"

# Ingest -> gate -> dbt build -> statistics marts -> publish -> dashboards, for one batch day or a range, as one run.
warehouse_job = define_asset_job(JOB_NAME, selection=AssetSelection.all(), partitions_def=batch_days)

# Every morning at 02:00 in the reporting zone: yesterday's batch.
daily_schedule = build_schedule_from_partitioned_job(warehouse_job, hour_of_day=2)

# New `dt=` folders, late folders of old days and changed files: a run as soon as they settle
# (orchestration/sensors.py). On by default; the schedule above is the alternative for landing
# zones that cannot be watched (it is off by default, as Dagster schedules are).
landing_sensor = build_landing_sensor(warehouse_job)

defs = Definitions(
    assets=[*raw_assets, transform_assets, *analytics_assets, serving_database, dashboards_site],
    jobs=[warehouse_job],
    schedules=[daily_schedule],
    sensors=[landing_sensor],
    resources={"dbt": dbt_resource()},
)
