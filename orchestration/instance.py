"""The persistent Dagster instance under $WAREHOUSE_HOME: CLI runs and `warehouse ui` share it."""

from __future__ import annotations

import os

from dagster import DagsterInstance

from config import Settings, private_dir

_INSTANCE_YAML = """\
telemetry:
  enabled: false
"""


def dagster_instance(settings: Settings) -> DagsterInstance:
    # A run over a range of batch days records one "materialization planned" event per asset with
    # the range, not one per asset and day: a 365-day backfill wrote 21,535 such events into
    # SQLite, 4.3 minutes before its first step (docs/performance.md). Dagster's trade-off: the
    # days of a failed range run are not marked failed in the UI's partition view (the run is,
    # and `warehouse status` names the failed step or check).
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    private_dir(settings.dagster_home)  # run and event logs: 0700 (docs/design.md)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(_INSTANCE_YAML)
    return DagsterInstance.from_config(str(settings.dagster_home))
