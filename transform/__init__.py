"""The dbt project (models, macros, tests, seeds in this folder) and the little Python that goes
with it: how the warehouse invokes dbt (project.py: settings as vars, artifacts under the home,
the parsed manifest; launch.py: dbt started in the warehouse home; in_process.py: a run's build on
DuckDB inside the run's process; build_results.py: what a build did, from the lines dbt prints; data_tests.py: the data tests as a run runs them), the docs
outside dbt (docs.py: the marts' descriptions, the offline docs site), the DuckDB session plugin
that holds the personal-data key (pseudonym.py, loaded by dbt itself), and the Spark engine
(engine.py: a run's build on Spark and the landing of its tables; spark.py: the standalone build
and comparison tools)."""

from transform import in_process
from transform.build_results import FAILED_STATUSES, BuildResults
from transform.data_tests import TESTS_LEFT_TO_THE_RUN, data_test_pass, data_tests, run_data_tests
from transform.docs import build_docs, mart_descriptions
from transform.engine import build_args, land_spark_tables
from transform.project import (
    DBT_THREADS,
    KEEP_RUNS,
    RUN_EXCLUDES,
    RUN_LOG_LEVEL,
    RUN_QUIET_FILES,
    RUN_WINDOW_TABLE,
    TRANSFORM_DIR,
    all_cores,
    carry_parse_state,
    checkpoint_behind,
    clear_run_window,
    dbt_command,
    dbt_executable,
    dbt_launcher,
    dbt_vars,
    keep_parse_state,
    parsed_project,
    prepare,
    prune_runs,
    runs_dir,
    set_run_window,
    share_cores,
    shares_cores,
    vars_arg,
)

__all__ = [
    "BuildResults",
    "FAILED_STATUSES",
    "TESTS_LEFT_TO_THE_RUN",
    "data_tests",
    "run_data_tests",
    "data_test_pass",
    "in_process",
    "DBT_THREADS",
    "KEEP_RUNS",
    "RUN_EXCLUDES",
    "RUN_LOG_LEVEL",
    "RUN_QUIET_FILES",
    "RUN_WINDOW_TABLE",
    "TRANSFORM_DIR",
    "all_cores",
    "build_args",
    "build_docs",
    "carry_parse_state",
    "clear_run_window",
    "checkpoint_behind",
    "dbt_command",
    "dbt_executable",
    "dbt_launcher",
    "dbt_vars",
    "keep_parse_state",
    "land_spark_tables",
    "mart_descriptions",
    "parsed_project",
    "prepare",
    "prune_runs",
    "runs_dir",
    "set_run_window",
    "share_cores",
    "shares_cores",
    "vars_arg",
]
