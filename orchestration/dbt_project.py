"""The dbt project in transform/ as Dagster sees it: its manifest, the dbt CLI resource (Spark's
build) and the build in the run's own process (DuckDB's)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from packaging.version import Version

from config import Settings
from transform import TRANSFORM_DIR, dbt_launcher, in_process, parsed_project


def dbt_project(settings: Settings) -> DbtProject:
    """The project with the manifest current for this warehouse (transform.project.parsed_project)."""
    target = parsed_project(settings)
    return DbtProject(project_dir=TRANSFORM_DIR, profiles_dir=TRANSFORM_DIR, target_path=target)


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's CLI resource without two costs it pays before every dbt command and that no
    asset here uses: a `dbt --version` process (~1.8 s before dbt starts; the executable is the
    dbt-core installed beside us) and a dbt adapter loaded with the project's macros in the run's
    own process (~3 s of CPU; it serves column metadata and row counts, which the assets do not
    fetch). tests/unit/test_dbt_cli_resource.py fails if dagster-dbt renames what this replaces."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource(project: DbtProject, settings: Settings) -> DbtCliResource:
    """Spark's build, in a dbt process started in the warehouse home (transform/launch.py);
    dagster-dbt puts the launcher's arguments between the executable and dbt's own."""
    python, *launcher = dbt_launcher(settings.home)
    return WarehouseDbtCli(
        project_dir=project, profiles_dir=str(TRANSFORM_DIR), dbt_executable=python, global_config_flags=launcher
    )


def manifest_path(settings: Settings) -> Path:
    return parsed_project(settings) / "manifest.json"


class InProcessBuild:
    """A `dbt build` run in the run's own process (transform/in_process.py), seen through the part
    of dagster-dbt's DbtCliInvocation the transform asset reads: the events (dbt's lines go to
    stdout as dagster-dbt prints them, where the console counts them), the manifest and translator
    of the asset, whether dbt succeeded. The subset of models a run selects becomes dbt's
    selection as dagster-dbt makes it."""

    def __init__(self, context, home: Path, args: list[str], target: Path):
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest={}, dagster_dbt_translator=None
        )
        self.manifest = params.manifest
        self.dagster_dbt_translator = params.dagster_dbt_translator
        self.project = params.dbt_project
        indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
        self._args = [*args, *params.selection_args, *indirect]
        self._home, self._target = home, target
        self._done: in_process.Invocation | None = None
        context.log.info(f"Running dbt command in the run's process: `dbt {' '.join(self._args)}`.")

    def run(self) -> None:
        """dbt's build, to its end (once): `stream_raw_events` then gives its events."""
        if self._done is None:
            project_dir = Path(self.project.project_dir) if self.project else TRANSFORM_DIR
            self._done = in_process.invoke(self._home, self._args, self._target, project_dir, on_line=_print)

    def stream_raw_events(self) -> Iterator[DbtCoreCliEventMessage]:
        self.run()
        for event in self._done.events:
            yield DbtCoreCliEventMessage(raw_event=event, event_history_metadata={})

    def is_successful(self) -> bool:
        return bool(self._done and self._done.success)

    @property
    def error(self) -> str | None:
        return self._done.error if self._done else None


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
