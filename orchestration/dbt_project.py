"""The dbt project in transform/ as Dagster sees it, with its manifest kept current."""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from config import load_settings

TRANSFORM_DIR = Path(__file__).resolve().parent.parent / "transform"

dbt_project = DbtProject(project_dir=TRANSFORM_DIR, profiles_dir=TRANSFORM_DIR)

# What a run's `dbt build` leaves out: dbt's unit tests, as dbt advises for production. They test
# the SQL on fixed inputs, not the data, so the test suite runs them
# (tests/integration/test_dbt_unit_tests.py) and a run would only repeat them, on its critical path.
# The benchmark's dbt stages use it too.
RUN_EXCLUDES = ["--exclude-resource-type", "unit_test"]


def dbt_resource() -> DbtCliResource:
    # dbt lives in the same virtual environment as this interpreter, which need not be on PATH.
    dbt = Path(sys.executable).parent / "dbt"
    return DbtCliResource(project_dir=dbt_project, profiles_dir=str(TRANSFORM_DIR), dbt_executable=str(dbt))


def export_dbt_env() -> None:
    """dbt runs as a subprocess and reads the settings from its environment (transform/macros)."""
    os.environ.update(load_settings().dbt_env())


def _newest_source_mtime() -> float:
    watched = [TRANSFORM_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        watched += [p for p in (TRANSFORM_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in watched if p.exists())


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file."""
    manifest = dbt_project.manifest_path

    def stale() -> bool:
        return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime()

    if stale():
        manifest.parent.mkdir(parents=True, exist_ok=True)
        # several processes may load the definitions at once (parallel test workers, the UI
        # beside a run): one parses, the others wait and then find the manifest current
        with open(manifest.parent / ".parse.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if stale():
                export_dbt_env()
                dbt_resource().cli(["parse", "--quiet"], target_path=manifest.parent).wait()
    return manifest
