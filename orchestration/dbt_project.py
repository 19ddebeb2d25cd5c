"""The dbt project in transform/ as Dagster sees it: its manifest and the dbt CLI resource."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from config import Settings
from transform import TRANSFORM_DIR, dbt_launcher, parsed_project


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
    """dbt started in the warehouse home (transform/launch.py): dagster-dbt puts the launcher's
    arguments between the executable and dbt's own."""
    python, *launcher = dbt_launcher(settings.home)
    return WarehouseDbtCli(
        project_dir=project, profiles_dir=str(TRANSFORM_DIR), dbt_executable=python, global_config_flags=launcher
    )


def manifest_path(settings: Settings) -> Path:
    return parsed_project(settings) / "manifest.json"
