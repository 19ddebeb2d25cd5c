"""dbt's results read from its JSON log lines (transform/build_results.py), on the lines dbt
1.11 printed for a failing test, a warning test, a model that errored and one that passed."""

from __future__ import annotations

import json

from orchestration.assets.transform import dbt_failure_summary
from quality.results import dbt_test_outcomes
from transform.build_results import BuildResults


def _line(name: str, unique_id: str | None, printed: str = "", **data) -> dict:
    node = {"unique_id": unique_id, "node_finished_at": "2026-12-05T23:00:15.033140"} if unique_id else {}
    info = {"name": name, "level": "info", "msg": printed or data.get("msg", ""), "ts": "2026-12-05T23:00:15.1Z"}
    return {"info": info, "data": {**data, "node_info": node}}


FAIL, WARN, PASS = "test.shop.fail_me.1", "test.shop.warn_me.2", "test.shop.pass_me.3"
BROKEN, OK = "model.shop.broken", "model.shop.ok"
LINES = [
    _line("MainReportVersion", None, "Running with dbt=1.11.16"),
    _line("LogStartLine", FAIL, index=1),
    _line("LogTestResult", FAIL, status="fail", num_failures=2, execution_time=0.19),
    _line("LogModelResult", BROKEN, status="error", execution_time=0.29),
    _line("LogTestResult", WARN, status="warn", num_failures=1, execution_time=0.1),
    _line(
        "LogTestResult", PASS, "4 of 5 \x1b[32mPASS\x1b[0m pass_me", status="pass", num_failures=0, execution_time=0.1
    ),
    _line("LogModelResult", OK, status="OK", execution_time=0.5),
    _line("RunResultFailure", FAIL, node_name="fail_me", resource_type="test"),
    _line("RunResultError", FAIL, msg="Got 2 results, configured to fail if != 0"),
    _line(
        "RunResultError", BROKEN, msg="Runtime Error in model broken (models/broken.sql)\n  Catalog Error: no table x"
    ),
    _line("RunResultWarningMessage", WARN, msg="Got 1 result, configured to warn if != 0"),
]


def _collected() -> BuildResults:
    results = BuildResults()
    for line in LINES:
        results.add(line)
    return results


def test_each_node_that_ran_has_its_status_failures_message_and_finish_time():
    by_id = {r["unique_id"]: r for r in _collected().run_results()["results"]}
    assert set(by_id) == {FAIL, WARN, PASS, BROKEN, OK}
    assert (by_id[FAIL]["status"], by_id[FAIL]["failures"]) == ("fail", 2)
    assert by_id[FAIL]["message"] == "Got 2 results, configured to fail if != 0"
    assert by_id[WARN]["message"] == "Got 1 result, configured to warn if != 0"
    assert by_id[PASS]["message"] is None and by_id[PASS]["failures"] == 0
    assert by_id[OK]["timing"] == [{"name": "execute", "completed_at": "2026-12-05T23:00:15.033140Z"}]


def test_a_message_without_a_result_line_is_not_a_result():
    results = BuildResults()
    results.add(_line("RunResultError", "model.shop.never_ran", msg="Compilation Error"))
    assert results.run_results() == {"results": []}


def test_the_failure_summary_and_the_test_outcomes_read_them_as_run_results():
    run_results = _collected().run_results()
    assert dbt_failure_summary(run_results) == (
        "dbt build failed: test fail_me (Got 2 results, configured to fail if != 0); model broken (Catalog Error: no table x)"
    )
    manifest = {
        "nodes": {
            FAIL: {"name": "fail_me", "config": {"severity": "ERROR"}, "attached_node": OK},
            WARN: {"name": "warn_me", "config": {"severity": "warn"}, "attached_node": OK},
            PASS: {"name": "pass_me", "config": {}, "attached_node": OK},
            OK: {"name": "ok", "resource_type": "model"},
        }
    }
    outcomes = {o.check_name: o for o in dbt_test_outcomes(run_results, manifest, "2026-12-05", lambda n: n["name"])}
    assert set(outcomes) == {"fail_me", "warn_me", "pass_me"}
    assert [outcomes[n].passed for n in ("fail_me", "warn_me", "pass_me")] == [False, False, True]
    assert (outcomes["fail_me"].rows_affected, outcomes["fail_me"].severity) == (2, "error")
    assert outcomes["warn_me"].severity == "warn" and outcomes["fail_me"].checked_at.tzinfo is not None


def test_written_next_to_the_invocation_with_the_printed_lines(tmp_path):
    _collected().write(tmp_path / "run")
    assert json.loads((tmp_path / "run" / "run_results.json").read_text()) == _collected().run_results()
    log = (tmp_path / "run" / "dbt.log").read_text()
    assert log.startswith("2026-12-05T23:00:15.1Z [info ] Running with dbt=1.11.16\n")
    assert "] 4 of 5 PASS pass_me\n" in log  # without the terminal's colour codes
    assert "] Got 2 results, configured to fail if != 0\n" in log and "\x1b" not in log
