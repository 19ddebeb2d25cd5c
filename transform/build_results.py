"""What one `dbt build` did, read from the JSON lines dbt prints while it runs.

The pipeline's build writes neither dbt's JSON artifacts nor its log file (transform/project.py,
RUN_QUIET_FILES): dbt would serialise the whole manifest (every node and all ~600 macros) twice per
invocation, and turn each of its thousands of debug events (every statement it sends) into a JSON
line for the log file before dropping it for being below the file's level: seconds of a daily run.
What the pipeline and an engineer need is in the lines dbt prints anyway (dagster-dbt reads them):
`BuildResults` collects each node's status, failures, message and finish time in the shape of
dbt's run_results.json (the fields quality/results.py and the failure summary read), and the
lines themselves, and `write` leaves both in the invocation's folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# one line per node that ran (unit tests are not run by the pipeline's build)
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
# the reason of a node that failed, errored or warned, printed in dbt's end-of-run summary
MESSAGE_EVENTS = frozenset({"RunResultError", "RunResultWarningMessage"})
_ABOUT_A_NODE = RESULT_EVENTS | MESSAGE_EVENTS

# the statuses of a node that did not pass (a test that only warns is `warn`)
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})

RESULTS_FILE = "run_results.json"
LOG_FILE = "dbt.log"

_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


class BuildResults:
    def __init__(self) -> None:
        self._results: dict[str, dict[str, Any]] = {}
        self._lines: list[str] = []

    def add(self, raw_event: Mapping[str, Any]) -> None:
        """Take one of dbt's JSON log lines (parsed)."""
        info = raw_event.get("info") or {}
        data = raw_event.get("data") or {}
        self._lines.append(f"{info.get('ts', '')} [{info.get('level', ''):<5}] {_COLOUR.sub('', info.get('msg', ''))}")
        node = data.get("node_info") or {}
        unique_id = node.get("unique_id")
        name = info.get("name")
        if not unique_id or name not in _ABOUT_A_NODE:
            return
        result = self._results.setdefault(unique_id, {"unique_id": unique_id, "status": None, "message": None})
        if name in MESSAGE_EVENTS:
            result["message"] = data.get("msg")
            return
        result["status"] = data.get("status")
        result["failures"] = data.get("num_failures")
        result["execution_time"] = data.get("execution_time")
        result["timing"] = [{"name": "execute", "completed_at": _utc(node.get("node_finished_at"))}]

    def extend(self, results: list[dict[str, Any]]) -> None:
        """Add results made outside dbt's build (the data tests, transform/data_tests.py)."""
        for result in results:
            self._results[result["unique_id"]] = result

    def statuses(self) -> dict[str, str]:
        """unique_id -> status of every node that ran."""
        return {r["unique_id"]: r["status"] for r in self.run_results()["results"]}

    def failed(self) -> bool:
        """Whether a node failed or errored (a failing test of severity warn only warns)."""
        return any(r["status"] in FAILED_STATUSES for r in self.run_results()["results"])

    def run_results(self) -> dict[str, Any]:
        """The nodes that ran, as dbt's run_results.json holds them: {"results": [...]}."""
        return {"results": [r for r in self._results.values() if r["status"] is not None]}

    def write(self, target: Path) -> None:
        """run_results.json and dbt.log (the printed lines) into the invocation's folder."""
        target.mkdir(parents=True, exist_ok=True)
        (target / RESULTS_FILE).write_text(json.dumps(self.run_results(), indent=1))
        (target / LOG_FILE).write_text("".join(line + "\n" for line in self._lines))


def _utc(stamp: str | None) -> str | None:
    # dbt prints a node's finish time in UTC without an offset; run_results.json ends it with Z
    if not stamp or stamp.endswith("Z") or "+" in stamp[10:]:
        return stamp or None
    return stamp + "Z"
