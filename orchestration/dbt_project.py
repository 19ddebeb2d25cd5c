"""The dbt project in transform/ as Dagster sees it: its manifest and the dbt CLI resource."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from config import Settings
from transform import TRANSFORM_DIR, dbt_executable, parsed_project


def dbt_project(settings: Settings) -> DbtProject:
    """The project with the manifest current for this warehouse (transform.project.parsed_project)."""
    target = parsed_project(settings)
    return DbtProject(project_dir=TRANSFORM_DIR, profiles_dir=TRANSFORM_DIR, target_path=target)


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, profiles_dir=str(TRANSFORM_DIR), dbt_executable=str(dbt_executable()))


def manifest_path(settings: Settings) -> Path:
    return parsed_project(settings) / "manifest.json"
