"""The dbt project (models, macros, tests, seeds in this folder) and the little Python that goes
with it: how the warehouse invokes dbt (project.py: settings as vars, artifacts under the home,
the parsed manifest) and the DuckDB session plugin that holds the personal-data key
(pseudonym.py, loaded by dbt itself)."""

from transform.project import (
    KEEP_RUNS,
    RUN_EXCLUDES,
    TRANSFORM_DIR,
    dbt_command,
    dbt_executable,
    dbt_vars,
    parsed_project,
    prepare,
    prune_runs,
    runs_dir,
    vars_arg,
)

__all__ = [
    "KEEP_RUNS",
    "RUN_EXCLUDES",
    "TRANSFORM_DIR",
    "dbt_command",
    "dbt_executable",
    "dbt_vars",
    "parsed_project",
    "prepare",
    "prune_runs",
    "runs_dir",
    "vars_arg",
]
