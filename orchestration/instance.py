"""The persistent Dagster instance under $WAREHOUSE_HOME: CLI runs and `warehouse ui` share it."""

from __future__ import annotations

import json
import os

from dagster import DagsterInstance

from config import Settings, private_dir

# Dagster's default storages, except the event log's class (orchestration/event_storage.py): same
# files in the same place, `history/runs/` under the instance's folder.
_INSTANCE_YAML = """\
telemetry:
  enabled: false
event_log_storage:
  module: orchestration.event_storage
  class: WarehouseEventLogStorage
  config:
    base_dir: {events}
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
    # written again when it differs: a home made before, or moved (the path is absolute)
    wanted = _INSTANCE_YAML.format(events=json.dumps(str(settings.dagster_home / "history" / "runs")))
    if not config.exists() or config.read_text() != wanted:
        config.write_text(wanted)
    return DagsterInstance.from_config(str(settings.dagster_home))
