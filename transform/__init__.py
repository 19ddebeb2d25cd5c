"""The dbt project (models, macros, tests, seeds in this folder) and the little Python that goes
with it: how the warehouse invokes dbt (project.py: settings as vars, artifacts under the home,
the parsed manifest), the docs outside dbt (docs.py: the marts' descriptions, the offline docs
site) and the DuckDB session plugin that holds the personal-data key
(pseudonym.py, loaded by dbt itself)."""

from transform.docs import build_docs, mart_descriptions
from transform.project import (
    KEEP_RUNS,
    RUN_EXCLUDES,
    RUN_LOG_LEVEL,
    RUN_WINDOW_TABLE,
    TRANSFORM_DIR,
    carry_parse_state,
    clear_run_window,
    dbt_command,
    dbt_executable,
    dbt_vars,
    keep_parse_state,
    parsed_project,
    prepare,
    prune_runs,
    runs_dir,
    set_run_window,
    vars_arg,
)

__all__ = [
    "KEEP_RUNS",
    "RUN_EXCLUDES",
    "RUN_LOG_LEVEL",
    "RUN_WINDOW_TABLE",
    "TRANSFORM_DIR",
    "build_docs",
    "carry_parse_state",
    "clear_run_window",
    "dbt_command",
    "dbt_executable",
    "dbt_vars",
    "keep_parse_state",
    "mart_descriptions",
    "parsed_project",
    "prepare",
    "prune_runs",
    "runs_dir",
    "set_run_window",
    "vars_arg",
]
