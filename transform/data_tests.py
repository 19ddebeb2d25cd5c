"""The project's data tests as a DuckDB run runs them: compiled by dbt once per project version and
settings, then run by the pipeline on the working database right after its `dbt build` of the
models, in one process, with dbt's own semantics (severity, warn_if, error_if, fail_calc, limit).

Why not inside the build: dbt spends ~35 ms of its own work on every node whatever its query (it
renders the test's Jinja with the whole macro context, writes two SQL files, fires its events),
and a run tests every model: the 308 data tests were ~11 of a tiny shop's ~19 s of dbt per daily
run, while their queries take milliseconds there. The compiled SQL is dbt's (`dbt compile`), so a
test means here what it means to `dbt test`; tests/integration/test_data_tests.py holds the two
to the same outcomes, failing tests included. Spark builds run dbt's tests in dbt (the compiled
SQL here is DuckDB's)."""

from __future__ import annotations

import fcntl
import json
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config import Settings, private_opener
from transform.build_results import FAILED_STATUSES
from transform.data_test_scope import FULL, choose_scope, record_pass, scoped_sql, tests_digest
from transform.project import (
    PARSE_STATE,
    PREPARED_TARGET,
    dbt_command,
    dbt_vars,
    default_vars,
    newer_than_the_project,
    parsed_project,
    run_dbt,
)

COMPILED_TESTS = "data_tests.json"

# the run's `dbt build` leaves them to run_data_tests (unit tests: RUN_EXCLUDES)
TESTS_LEFT_TO_THE_RUN = ["--exclude-resource-type", "test"]

# the tag of the tests that read all of history whatever a run changed (reconciliations with raw)
FULL_PASS_ONLY = "full_pass_only"

# DuckDB runs each query on every core; two at once keep both busy while Python fetches a result
THREADS = 2


@dataclass(frozen=True)
class DataTest:
    unique_id: str
    sql: str  # dbt's compiled SQL: the rows that fail the test
    severity: str  # error | warn
    warn_if: str
    error_if: str
    fail_calc: str
    limit: int | None
    depends_on: tuple[str, ...]  # the models and seeds it reads
    full_pass_only: bool = False  # reads all of history whatever changed: full passes only


def compile_data_tests(folder: Path, settings: Settings | None = None) -> Path:
    """`dbt compile` of every data test into `folder`/data_tests.json, for `settings` (the defaults
    without them). dbt runs in a scratch home of its own, on an empty database (a test's SQL does
    not depend on the data), starting from the parse state in `folder` when there is one."""
    variables = dbt_vars(settings) if settings else default_vars()
    with tempfile.TemporaryDirectory(prefix="dbt-compile-") as scratch:
        home, target = Path(scratch), Path(scratch) / "target"
        target.mkdir()
        if (folder / PARSE_STATE).exists():
            shutil.copyfile(folder / PARSE_STATE, target / PARSE_STATE)
        command = dbt_command(None, ["compile", "--select", "test_type:data", "--quiet"], target, variables, home)
        run_dbt(command, "dbt compile of the data tests")
        manifest = json.loads((target / "manifest.json").read_text())
    tests = [asdict(_data_test(node)) for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    path = folder / COMPILED_TESTS
    with open(path, "w", opener=private_opener) as out:
        json.dump({"vars": variables, "tests": tests}, out)
    return path


def _data_test(node: Mapping[str, Any]) -> DataTest:
    config = node["config"]
    return DataTest(
        unique_id=node["unique_id"],
        sql=node["compiled_code"],
        severity=str(config.get("severity") or "error").lower(),
        warn_if=config.get("warn_if") or "!= 0",
        error_if=config.get("error_if") or "!= 0",
        fail_calc=config.get("fail_calc") or "count(*)",
        limit=config.get("limit"),
        depends_on=tuple(n for n in node["depends_on"]["nodes"] if n.startswith(("model.", "seed.", "snapshot."))),
        full_pass_only=FULL_PASS_ONLY in (config.get("tags") or []),
    )


def data_tests(settings: Settings) -> list[DataTest]:
    """The compiled data tests for this warehouse: the ones made at setup when they fit (the
    project unchanged since, default settings), else compiled once into $WAREHOUSE_HOME/dbt."""
    variables = dbt_vars(settings)
    for folder in (parsed_project(settings), settings.dbt_dir / "data_tests"):
        found = _load(folder, variables)
        if found is not None:
            return found
    folder = settings.dbt_dir / "data_tests"
    folder.mkdir(parents=True, exist_ok=True)
    # parallel runs of one home are excluded by its run lock; the lock here serves test workers
    with open(folder / ".compile.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _load(folder, variables)
        if found is None:
            state = parsed_project(settings) / PARSE_STATE
            if state.exists():
                shutil.copyfile(state, folder / PARSE_STATE)
            compile_data_tests(folder, settings)
            found = _load(folder, variables)
    return found


def _load(folder: Path, variables: Mapping[str, str]) -> list[DataTest] | None:
    path = folder / COMPILED_TESTS
    if not newer_than_the_project(path):
        return None
    compiled = json.loads(path.read_text())
    if compiled["vars"] != dict(variables):
        return None
    return [DataTest(**{**test, "depends_on": tuple(test["depends_on"])}) for test in compiled["tests"]]


def run_data_tests(
    con, tests: Iterable[DataTest], built: Mapping[str, str] | None = None, scope: str = FULL
) -> list[dict[str, Any]]:
    """Run `tests` on the working database over the rows of `scope` (data_test_scope.py); one
    result per test in the shape of dbt's run_results.json (status pass | warn | fail | error,
    failures, message, timing). With `built`
    (unique_id -> status of the nodes a failed build ran), a test of a node that did not build is
    skipped, as `dbt build` skips it."""
    runnable, results = [], []
    for test in tests:
        broken = [n for n in test.depends_on if built is not None and built.get(n) != "success"]
        if broken:
            results.append(_result(test, "skipped", None, f"{broken[0]} did not build", 0.0))
        else:
            runnable.append(test)
    with ThreadPoolExecutor(THREADS) as pool:
        results += pool.map(lambda test: _run_one(con.cursor(), test, scoped_sql(test.sql, scope)), runnable)
    return results


def _run_one(cursor, test: DataTest, sql: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        cursor.execute("SET TimeZone = 'UTC'")  # as dbt's session (profiles.yml)
        limit = f"limit {test.limit}" if test.limit is not None else ""
        failures, should_warn, should_error = cursor.execute(
            f"select {test.fail_calc} as failures, {test.fail_calc} {test.warn_if} as should_warn, "
            f"{test.fail_calc} {test.error_if} as should_error "
            f"from (\n{sql}\n{limit}\n) dbt_internal_test"
        ).fetchone()
    except Exception as exc:  # a test that cannot run is an error of that test, as in dbt
        return _result(test, "error", None, " ".join(str(exc).split()), time.perf_counter() - started)
    finally:
        cursor.close()
    if should_error and test.severity == "error":
        status, threshold = "fail", test.error_if
    elif should_warn:
        status, threshold = "warn", test.warn_if
    else:
        return _result(test, "pass", int(failures or 0), None, time.perf_counter() - started)
    plural = "" if failures == 1 else "s"
    message = f"Got {failures} result{plural}, configured to {'fail' if status == 'fail' else 'warn'} if {threshold}"
    return _result(test, status, int(failures), message, time.perf_counter() - started)


def _result(test: DataTest, status: str, failures: int | None, message: str | None, seconds: float) -> dict[str, Any]:
    finished = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "unique_id": test.unique_id,
        "status": status,
        "failures": failures,
        "message": message,
        "execution_time": seconds,
        "timing": [{"name": "execute", "completed_at": finished}],
    }


@dataclass(frozen=True)
class DataTestPass:
    results: list[dict[str, Any]]  # as run_data_tests returns them
    scope: str  # data_test_scope.FULL | CHANGED_DAYS
    reason: str
    seconds: float

    def summary(self) -> str:
        counts = Counter(r["status"] for r in self.results)
        return (
            f"{len(self.results)} data tests over {'every row' if self.scope == FULL else 'the rebuilt days'} "
            f"({self.reason}) in {self.seconds:.1f}s: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        )


def data_test_pass(
    con, settings: Settings, run_id: str, full_because: str | None, built: Mapping[str, str] | None = None
) -> DataTestPass:
    """A run's data tests after its build (`built`: the statuses of a build that failed), over the
    rows its scope says (transform/data_test_scope.py; `full_because`: the run's reason for a full
    pass, if it has one), recorded in ops.data_test_passes."""
    started = time.perf_counter()
    tests = data_tests(settings)
    digest = tests_digest(tests)
    scope, reason = choose_scope(con, full_because, settings.full_tests_every_days, digest, datetime.now(UTC))
    results = run_data_tests(con, [t for t in tests if scope == FULL or not t.full_pass_only], built, scope)
    failed = sum(r["status"] in FAILED_STATUSES for r in results) + (built is not None)
    record_pass(con, run_id, scope, digest, len(results), failed, datetime.now(UTC))
    return DataTestPass(results, scope, reason, time.perf_counter() - started)


def prepare_data_tests() -> Path | None:
    """At setup, beside the prepared manifest: the data tests compiled for default settings."""
    if not newer_than_the_project(PREPARED_TARGET / COMPILED_TESTS):
        return compile_data_tests(PREPARED_TARGET)
    return PREPARED_TARGET / COMPILED_TESTS
