"""A run's data tests (transform/data_tests.py: dbt's compiled SQL, run by the pipeline after the
build) mean what `dbt test` means: on the same database, every data test gets the same status and
the same number of failing rows from both. Once on the simulated shop as built (all pass), once
on a copy broken so that tests of both severities fail and some cannot run at all. And an
incremental run's tests read the days it rebuilt, a full pass every row."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from transform import data_test_pass, data_tests, dbt_command, run_data_tests
from transform.data_test_scope import CHANGED_DAYS, FULL

BREAKAGE = [
    # a null in a column not_null_columns covers, a duplicated key, a rate outside its range (an
    # `error` range test and a `warn` expression test), a column a test reads dropped
    "UPDATE marts.kpi_daily SET gmv = NULL WHERE date = (SELECT min(date) FROM marts.kpi_daily)",
    "INSERT INTO marts.channel_daily SELECT * FROM marts.channel_daily LIMIT 2",
    "UPDATE marts.product_health SET return_rate_30d = 2 WHERE product_id IN "
    "(SELECT product_id FROM marts.product_health ORDER BY product_id LIMIT 3)",
    "ALTER TABLE marts.agent_daily DROP COLUMN rated_tickets",
]


UNIQUE_EVENT_ID = "test.shop_warehouse.unique_stg_traffic__events_event_id."


def _copy(settings, folder: Path, breakage: list[str]) -> Path:
    # the file's name is the catalog's in dbt's compiled SQL ("warehouse"."marts"...)
    copy = folder / "warehouse.duckdb"
    shutil.copyfile(settings.working_db, copy)
    con = duckdb.connect(str(copy))
    for statement in breakage:
        con.execute(statement)
    con.close()
    return copy


def _by_dbt(settings, database: Path, target: Path) -> dict[str, tuple[str, int | None]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DBT_"))}
    command = dbt_command(settings, ["test", "--select", "test_type:data"], target, {"working_db": str(database)})
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout[-3000:]  # 1: some tests failed
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: (r["status"], r["failures"]) for r in results if r["unique_id"].startswith("test.")}


def _by_the_run(settings, database: Path) -> dict[str, tuple[str, int | None]]:
    con = duckdb.connect(str(database))
    try:
        results = run_data_tests(con, data_tests(settings))
    finally:
        con.close()
    return {r["unique_id"]: (r["status"], r["failures"]) for r in results}


@pytest.mark.parametrize("breakage", [[], BREAKAGE], ids=["as built", "broken"])
def test_the_runs_data_tests_agree_with_dbt_test(simulated_shop, tmp_path, breakage):
    database = _copy(simulated_shop, tmp_path, breakage)
    ours = _by_the_run(simulated_shop, database)
    theirs = _by_dbt(simulated_shop, database, tmp_path / "dbt")
    assert set(ours) == set(theirs)
    assert len(ours) >= 300
    # dbt reports no count for a test that could not run; the run neither
    differ = {uid: (ours[uid], theirs[uid]) for uid in ours if ours[uid] != theirs[uid]}
    assert not differ, differ
    statuses = {status for status, _ in ours.values()}
    assert statuses == ({"pass", "fail", "warn", "error"} if breakage else {"pass"})


def test_an_incremental_runs_tests_read_the_days_it_rebuilt_until_something_fails(simulated_shop, tmp_path):
    con = duckdb.connect(str(_copy(simulated_shop, tmp_path, [])))
    events = "staging.stg_traffic__events"
    first, last = con.execute(f"SELECT min(event_date), max(event_date) FROM {events}").fetchone()

    def unique_event_ids(run_id: str, full_because: str | None = None):
        tested = data_test_pass(con, simulated_shop, run_id, full_because)
        result = next(r for r in tested.results if r["unique_id"].startswith(UNIQUE_EVENT_ID))
        return tested.scope, len(tested.results), result["status"], result["failures"]

    everything = len(data_tests(simulated_shop))
    assert unique_event_ids("r1", full_because="full refresh") == (FULL, everything, "pass", 0)
    # the run rebuilt the last day; a duplicated event on the first day is outside what it changed
    con.execute("CREATE OR REPLACE TABLE intermediate.int_traffic_rebuild_days AS SELECT ?::DATE AS event_date", [last])
    con.execute(f"INSERT INTO {events} SELECT * FROM {events} WHERE event_date = ? LIMIT 1", [first])
    changed_days = everything - 3  # the reconciliations with raw wait for a full pass
    assert unique_event_ids("r2") == (CHANGED_DAYS, changed_days, "pass", 0)
    con.execute(f"INSERT INTO {events} SELECT * FROM {events} WHERE event_date = ? LIMIT 1", [last])
    assert unique_event_ids("r3") == (CHANGED_DAYS, changed_days, "fail", 1)
    # after a failure the next run tests every row again
    assert unique_event_ids("r4") == (FULL, everything, "fail", 2)
    # and a `dbt test` by hand reads every row
    con.close()
    theirs = _by_dbt(simulated_shop, tmp_path / "warehouse.duckdb", tmp_path / "dbt")
    assert next(v for k, v in theirs.items() if k.startswith(UNIQUE_EVENT_ID)) == ("fail", 2)
