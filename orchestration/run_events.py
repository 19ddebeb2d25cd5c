"""How a run reports itself: its stages (by the step keys of their assets) and the `warehouse`
logger of the job, through which Dagster's messages reach the warehouse log (and, in a CLI run,
the progress display: `cli/console.py`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from dagster import AssetKey, logger

DAGSTER_LOGGER = "warehouse.dagster"

# Metadata key of the observation the dbt step logs for each data test that did not pass (dbt's
# tests are not Dagster asset checks: orchestration/assets/transform.py).
DBT_TEST_METADATA = "dbt_test"

# The one step that loads and checks every landing entity (orchestration/assets/ingest.py).
RAW_STEP = "raw"

# Stages of a run, by the step keys of their assets (orchestration/job.py), in run order.
STAGES = (
    ("ingest + gate", RAW_STEP),
    ("dbt build", "transform"),
    ("statistics", "marts__"),
    ("publish", "serving__serving_database"),
    ("dashboards", "serving__dashboards"),
)


def stage_of(step_key: str | None) -> str | None:
    for stage, prefix in STAGES:
        if step_key and step_key.startswith(prefix):
            return stage
    return None


def dbt_test_failure(event) -> tuple[str, str, str, bool] | None:
    """(asset, test name, detail, only a warning) of the observation the dbt step logs for a data
    test that did not pass (orchestration/assets/transform.py); None for any other observation."""
    observation = event.event_specific_data.asset_observation
    metadata = {k: getattr(v, "value", v) for k, v in observation.metadata.items()}
    if DBT_TEST_METADATA not in metadata:
        return None
    detail = str(metadata.get("detail") or "failed")
    return (
        observation.asset_key.to_user_string(),
        str(metadata[DBT_TEST_METADATA]),
        detail,
        metadata.get("severity") == "warn",
    )


@logger(
    description="Dagster's messages into the warehouse log file (and the progress display of a CLI run).",
)
def dagster_logger(init_context) -> logging.Logger:
    # Dagster's step events are DEBUG records: the progress display needs them; the log file and
    # the --verbose console keep INFO and above (the handlers filter, not the logger).
    log = logging.getLogger(DAGSTER_LOGGER)
    log.setLevel(logging.DEBUG)
    return log


# The delivery step's asset (orchestration/assets/serve.py); `warehouse status` reads its last outcome.
ALERTS_KEY = AssetKey(["serving", "alert_delivery"])


def last_alert_delivery(instance) -> dict | None:
    """{run_id, at, outcome, failed} of the latest alert delivery step; None before the first."""
    record = instance.get_latest_materialization_event(ALERTS_KEY)
    if record is None:
        return None
    metadata = {k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()}
    return {
        "run_id": record.run_id,
        "at": datetime.fromtimestamp(record.timestamp, UTC).isoformat(),
        "outcome": str(metadata.get("outcome", "")),
        "failed": bool(metadata.get("failed", False)),
    }
