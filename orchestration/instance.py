"""The persistent Dagster instance under $WAREHOUSE_HOME: CLI runs and `warehouse ui` share it."""

from __future__ import annotations

import os

from dagster import DagsterInstance

from orchestration.settings import Settings

_INSTANCE_YAML = """\
telemetry:
  enabled: false
"""


def dagster_instance(settings: Settings) -> DagsterInstance:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    return DagsterInstance.get()
