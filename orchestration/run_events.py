"""How a run reports itself: its stages (by the step keys of their assets) and the `warehouse`
logger of the job, through which Dagster's messages reach the warehouse log (and, in a CLI run,
the progress display: `cli/console.py`)."""

from __future__ import annotations

import logging

from dagster import logger

DAGSTER_LOGGER = "warehouse.dagster"

# Stages of a run, by the step keys of their assets (orchestration/job.py), in run order.
STAGES = (
    ("ingest + gate", "raw__"),
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


@logger(
    description="Dagster's messages into the warehouse log file (and the progress display of a CLI run).",
)
def dagster_logger(init_context) -> logging.Logger:
    # Dagster's step events are DEBUG records: the progress display needs them; the log file and
    # the --verbose console keep INFO and above (the handlers filter, not the logger).
    log = logging.getLogger(DAGSTER_LOGGER)
    log.setLevel(logging.DEBUG)
    return log
