"""`ops.check_results`: every check evaluation of every run, in the working database.

Written by the step that evaluates the checks, before it reports them to Dagster, so a run that
fails at a gate still leaves its record (the working database is written; serving is not). The
publish step builds `marts.data_health` from it (`DATA_HEALTH_SQL`).

    record_outcomes(con, run_id, outcomes)
    dbt_test_outcomes(run_results, manifest, partition, asset_of) -> list[CheckOutcome]
    dbt_test_counts(con, run_id) -> (passed, warned, failed)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from quality.outcome import CheckOutcome

CHECK_RESULTS_DDL = """CREATE TABLE IF NOT EXISTS ops.check_results (
  run_id VARCHAR NOT NULL, check_name VARCHAR NOT NULL, checked_at TIMESTAMPTZ NOT NULL, asset VARCHAR NOT NULL,
  "partition" VARCHAR, passed BOOLEAN NOT NULL, rows_affected BIGINT, detail VARCHAR, severity VARCHAR NOT NULL
)"""

# marts.data_health (kpis.md): grain (run_id, check_name), built at publish time from the working
# database's ops.check_results attached as `work`. Every run's checks are kept, failed runs too.
DATA_HEALTH_SQL = """
SELECT run_id, check_name, checked_at, asset, "partition", passed, rows_affected, detail, severity
FROM work.ops.check_results
ORDER BY checked_at, run_id, check_name
"""

DETAIL_LIMIT = 2000  # characters of detail kept per evaluation
DBT_TEST_DETAIL = "dbt test"  # how the detail of a dbt test's outcome begins


def ensure_check_results(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    con.execute(CHECK_RESULTS_DDL)


def record_outcomes(con, run_id: str, outcomes: list[CheckOutcome]) -> None:
    """Insert the outcomes of one step (replacing those of the same run and check, e.g. on a retry)."""
    ensure_check_results(con)
    if not outcomes:
        return
    rows = [
        (
            run_id,
            o.qualified_name,
            o.checked_at,
            o.asset,
            o.partition,
            o.passed,
            o.rows_affected,
            (o.detail or "")[:DETAIL_LIMIT],
            o.severity,
        )
        for o in outcomes
    ]
    # one statement each, not one per outcome: a run's ~300 dbt tests cost ~0.5 s as single rows
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM ops.check_results WHERE run_id = ? AND list_contains(?, check_name)",
            [run_id, [r[1] for r in rows]],
        )
        con.execute(f"INSERT INTO ops.check_results VALUES {values}", [v for r in rows for v in r])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _finished_at(result: Mapping[str, Any]) -> datetime:
    for timing in reversed(result.get("timing") or []):
        if timing.get("completed_at"):
            return datetime.fromisoformat(timing["completed_at"].replace("Z", "+00:00"))
    return datetime.now(UTC)


def _tested_node(manifest: Mapping[str, Any], test: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The model/source/seed a test is about: the attached node, else its only dependency."""
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    attached = test.get("attached_node")
    if attached in nodes:
        return nodes[attached]
    deps = [d for d in (test.get("depends_on") or {}).get("nodes", []) if d in nodes]
    return nodes[deps[0]] if len(deps) == 1 else None


def dbt_test_outcomes(
    run_results: Mapping[str, Any],
    manifest: Mapping[str, Any],
    partition: str,
    asset_of: Callable[[Mapping[str, Any]], str],
) -> list[CheckOutcome]:
    """One outcome per data test the dbt invocation ran (unit tests check code, not data: left out;
    tests dbt skipped because a model failed were not evaluated: left out)."""
    outcomes = []
    for result in run_results.get("results", []):
        uid = result.get("unique_id", "")
        status = result.get("status")
        if not uid.startswith("test.") or status == "skipped":
            continue
        test = manifest.get("nodes", {}).get(uid, {})
        node = _tested_node(manifest, test)
        severity = str((test.get("config") or {}).get("severity") or "error").lower()
        message = " ".join((result.get("message") or "").split())
        failures = result.get("failures")
        outcomes.append(
            CheckOutcome(
                check_name=test.get("name") or uid.split(".")[2],
                asset=asset_of(node) if node else "transform",
                partition=partition,
                passed=status == "pass",
                rows_affected=int(failures) if failures is not None else None,
                detail=f"{DBT_TEST_DETAIL} {status}" + (f": {message}" if message and status != "pass" else ""),
                severity="warn" if status == "warn" else severity,
                checked_at=_finished_at(result),
            )
        )
    return outcomes


def dbt_test_counts(con, run_id: str) -> tuple[int, int, int]:
    """(passed, warned, failed) dbt data tests of one run, from ops.check_results."""
    ensure_check_results(con)
    passed, warned, failed = con.execute(
        "SELECT count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed AND severity = 'warn'), "
        "count(*) FILTER (WHERE NOT passed AND severity <> 'warn') FROM ops.check_results "
        "WHERE run_id = ? AND starts_with(detail, ?)",
        [run_id, DBT_TEST_DETAIL + " "],
    ).fetchone()
    return passed, warned, failed
