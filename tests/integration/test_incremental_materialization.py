"""DuckDB's incremental materialization of this project (transform/macros/incremental_materialization.sql):
a model's pre-hook deletes what it rebuilds and its rows are inserted by name; a full refresh
replaces the table; on_schema_change is dbt's; a model that does not delete its unique_key in a
pre-hook fails instead of duplicating rows. A scratch dbt project with the project's macros."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

TRANSFORM = Path(__file__).resolve().parents[2] / "transform"

PROFILE = """scratch:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{path}"
      threads: 1
"""

# day 2 is rebuilt: its rows are deleted by the pre-hook and selected again (with a new value)
DAYS = """{{{{ config(
    materialized='incremental', unique_key='day', on_schema_change='{on_schema_change}',
    incremental_strategy='delete+insert',
    pre_hook="{{{{ delete_rebuild_days('day', 'select 2') }}}}"
) }}}}
select day, day * {{{{ var('factor') }}}} as value{extra}
from (select unnest(range(1, 4)) as day) as days
{{% if is_incremental() %}}where day = 2{{% endif %}}
"""

NO_DELETE = """{{ config(materialized='incremental', unique_key='day', incremental_strategy='delete+insert') }}
select 1 as day
"""


def _project(tmp_path: Path, on_schema_change: str = "fail", extra: str = "") -> Path:
    project = tmp_path / "project"
    if not project.exists():
        (project / "models").mkdir(parents=True)
        shutil.copytree(TRANSFORM / "macros", project / "macros")
        (project / "dbt_project.yml").write_text(
            "name: scratch\nversion: '1.0'\nprofile: scratch\nmodel-paths: [models]\nmacro-paths: [macros]\n"
        )
        (project / "profiles.yml").write_text(PROFILE.format(path=tmp_path / "scratch.duckdb"))
    (project / "models" / "days.sql").write_text(DAYS.format(on_schema_change=on_schema_change, extra=extra))
    return project


def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
    )


def _rows(tmp_path: Path) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "scratch.duckdb"), read_only=True)
    try:
        return con.execute("select * from main.days order by day").fetchall()
    finally:
        con.close()


def test_a_run_replaces_the_rows_its_pre_hook_deleted_and_a_full_refresh_rebuilds(tmp_path):
    project = _project(tmp_path)
    assert _dbt(project, "run", "--vars", "{factor: 10}").returncode == 0
    assert _rows(tmp_path) == [(1, 10), (2, 20), (3, 30)]
    done = _dbt(project, "run", "--vars", "{factor: 100}")
    assert done.returncode == 0, done.stdout[-2000:]
    assert _rows(tmp_path) == [(1, 10), (2, 200), (3, 30)]  # day 2 once, with its new value
    assert _dbt(project, "run", "--full-refresh", "--vars", "{factor: 1}").returncode == 0
    assert _rows(tmp_path) == [(1, 1), (2, 2), (3, 3)]


@pytest.mark.parametrize("on_schema_change, ok", [("fail", False), ("append_new_columns", True)])
def test_a_new_column_follows_on_schema_change(tmp_path, on_schema_change, ok):
    assert _dbt(_project(tmp_path, on_schema_change), "run", "--vars", "{factor: 10}").returncode == 0
    done = _dbt(_project(tmp_path, on_schema_change, extra=", 'x' as note"), "run", "--vars", "{factor: 10}")
    assert (done.returncode == 0) == ok, done.stdout[-2000:]
    if ok:
        assert _rows(tmp_path) == [(1, 10, None), (2, 20, "x"), (3, 30, None)]
    else:
        assert "out of sync" in done.stdout


def test_a_model_that_does_not_delete_its_key_in_a_pre_hook_fails(tmp_path):
    project = _project(tmp_path)
    (project / "models" / "no_delete.sql").write_text(NO_DELETE)
    assert _dbt(project, "run", "--select", "no_delete", "--vars", "{factor: 1}").returncode == 0  # first build
    done = _dbt(project, "run", "--select", "no_delete", "--vars", "{factor: 1}")
    assert done.returncode != 0
    assert "deletes what it rebuilds in a pre-hook" in done.stdout
