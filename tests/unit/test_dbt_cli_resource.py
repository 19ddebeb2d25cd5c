"""The dbt CLI resource (orchestration/dbt_project.py) skips what dagster-dbt does before every
dbt command and no asset here uses; these fail when a dagster-dbt upgrade moves what it replaces."""

from dagster_dbt import DbtCliResource

from orchestration.dbt_project import WarehouseDbtCli
from transform import TRANSFORM_DIR, dbt_executable


def _resource(cls):
    return cls(project_dir=str(TRANSFORM_DIR), profiles_dir=str(TRANSFORM_DIR), dbt_executable=str(dbt_executable()))


def test_it_replaces_methods_dagster_dbt_still_calls():
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), f"dagster-dbt no longer has {name}: the override is dead code"
        assert name in vars(WarehouseDbtCli)


def test_the_version_is_the_one_dbt_reports_without_asking_dbt():
    assert _resource(WarehouseDbtCli)._cli_version == _resource(DbtCliResource)._cli_version  # runs `dbt --version`
    assert _resource(WarehouseDbtCli)._initialize_dbt_core_adapter(["build"]) is None
