"""`warehouse status`: what the serving database holds, how fresh each source is, and what the
last runs did, as text or JSON, with an exit code a scheduler can act on.

    collect_status(settings) -> dict      (the JSON of `warehouse status --json`)
    render_status(status) -> str
    exit_code(status) -> int              0 healthy, 1 the last run failed, 3 a source is stale
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

from config import Settings
from orchestration import (
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    dagster_instance,
    dbt_test_failure,
    last_alert_delivery,
    step_failure_message,
)
from serving import NotPublishedYet, connect_serving

HEALTHY, RUN_FAILED, STALE = 0, 1, 3


def _short(text: str | None, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _serving(settings: Settings, today: date) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(publication, freshness per source) from the serving database; (None, []) before the first publish."""
    try:
        con = connect_serving(settings)
    except NotPublishedYet:
        return None, []
    try:
        run_id, published_at, checksum = con.execute(
            "SELECT run_id, published_at, marts_checksum FROM ops.publication"
        ).fetchone()
        publication = {
            "path": str(settings.serving_db),
            "run_id": run_id,
            "published_at": published_at.astimezone(UTC).isoformat(),
            "data_version": checksum[:16],
        }
        rows = con.execute(
            """
            SELECT entity, max(batch_dt) FILTER (WHERE status = 'loaded'), count(*), sum(rows_read),
                   sum(rows_quarantined), sum(rows_duplicate), count(*) FILTER (WHERE status <> 'loaded')
            FROM ops.ingest_log WHERE status <> 'unknown_folder' GROUP BY entity ORDER BY entity
            """
        ).fetchall()
        unknown = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT entity FROM ops.ingest_log WHERE status = 'unknown_folder' ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()
    publication["unknown_folders"] = unknown
    sources = []
    for entity, last_dt, files, read, quarantined, duplicates, rejected in rows:
        age = (today - last_dt).days if last_dt else None
        sources.append(
            {
                "entity": entity,
                "latest_batch_day": last_dt.isoformat() if last_dt else None,
                "age_days": age,
                "stale": age is None or age > settings.stale_after_days,
                "files": files,
                "rows_read": int(read or 0),
                "rows_quarantined": int(quarantined or 0),
                "rows_duplicate": int(duplicates or 0),
                "files_rejected": rejected,
            }
        )
    return publication, sources


def _window(run) -> str:
    first = run.tags.get(RANGE_START_TAG, run.tags.get(PARTITION_TAG, "?"))
    last = run.tags.get(RANGE_END_TAG, first)
    return first if first == last else f"{first}..{last}"


def _run_summary(instance, run) -> dict[str, Any]:
    stats = instance.get_run_stats(run.run_id)
    when = datetime.fromtimestamp(stats.start_time, UTC).isoformat() if stats.start_time else None
    failed_checks, warned_checks, failed_steps = [], [], []
    kinds = {DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.ASSET_OBSERVATION}
    for record in instance.all_logs(run.run_id, of_type=kinds):
        event = record.dagster_event
        if event.event_type == DagsterEventType.ASSET_OBSERVATION:
            failed_test = dbt_test_failure(event)  # a dbt data test (not a Dagster asset check)
            if failed_test:
                asset, test, detail, warned = failed_test
                item = {"check_name": test, "asset": asset, "detail": _short(detail)}
                (warned_checks if warned else failed_checks).append(item)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            item = {
                "check_name": evaluation.check_name,
                "asset": evaluation.asset_key.to_user_string(),
                "detail": _short(getattr(evaluation, "description", None)) or "failed",
            }
            (warned_checks if evaluation.severity.value == "WARN" else failed_checks).append(item)
        else:
            message = step_failure_message(event.step_failure_data) or "failed"
            failed_steps.append({"step": event.step_key, "detail": _short(message)})
    return {
        "run_id": run.run_id,
        "status": run.status.value,
        "batch_days": _window(run),
        "started_at": when,
        "failed_steps": failed_steps,
        "failed_checks": failed_checks,
        "warned_checks": warned_checks,
    }


def collect_status(settings: Settings, runs: int = 5) -> dict[str, Any]:
    today = settings.yesterday() + timedelta(days=1)
    publication, sources = _serving(settings, today)
    with dagster_instance(settings) as instance:
        finished = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
        last = instance.get_runs(RunsFilter(statuses=finished), limit=1)
        recent = instance.get_runs(RunsFilter(), limit=runs)
        return {
            "checked_at": datetime.now(UTC).isoformat(),
            "today": today.isoformat(),
            "stale_after_days": settings.stale_after_days,
            "serving": publication,
            "sources": sources,
            "last_run": _run_summary(instance, last[0]) if last else None,
            "alert_delivery": last_alert_delivery(instance),
            "recent_runs": [{"run_id": r.run_id, "status": r.status.value, "batch_days": _window(r)} for r in recent],
        }


def exit_code(status: dict[str, Any]) -> int:
    last = status["last_run"]
    if last and last["status"] != DagsterRunStatus.SUCCESS.value:
        return RUN_FAILED
    if any(source["stale"] for source in status["sources"]):
        return STALE
    return HEALTHY


def render_status(status: dict[str, Any]) -> str:
    lines = []
    serving = status["serving"]
    if serving is None:
        lines.append("serving database: nothing published yet (run `warehouse run`)")
    else:
        lines += [
            f"serving database: {serving['path']}",
            f"  published {serving['published_at'][:19].replace('T', ' ')} UTC by run {serving['run_id'][:8]}, "
            f"data version {serving['data_version']}",
        ]
    for folder in (serving or {}).get("unknown_folders", []):
        lines.append(f"warning: landing folder {folder}/ is not a system or entity of the contract: not loaded")
    if status["sources"]:
        lines.append(f"freshness per source (stale after {status['stale_after_days']} days; today {status['today']}):")
        lines.append(
            f"  {'entity':<20}{'latest day':<12}{'age':>5}{'files':>7}{'read':>12}{'quarantined':>13}{'duplicates':>12}"
        )
        for s in status["sources"]:
            age = f"{s['age_days']}d" if s["age_days"] is not None else "-"
            flag = "  STALE" if s["stale"] else ""
            rejected = f"  {s['files_rejected']} file(s) rejected" if s["files_rejected"] else ""
            lines.append(
                f"  {s['entity']:<20}{s['latest_batch_day'] or '-':<12}{age:>5}{s['files']:>7,}"
                f"{s['rows_read']:>12,}{s['rows_quarantined']:>13,}{s['rows_duplicate']:>12,}{flag}{rejected}"
            )
    last = status["last_run"]
    lines.append("")
    if last is None:
        lines.append("no runs yet")
    else:
        lines.append(
            f"last run: {last['run_id'][:8]} {last['status'].lower()} (batch days {last['batch_days']}, "
            f"started {(last['started_at'] or '-')[:16].replace('T', ' ')} UTC)"
        )
        for step in last["failed_steps"]:
            lines.append(f"  failed step {step['step']}: {step['detail']}")
        for check in last["failed_checks"]:
            lines.append(f"  failed check {check['asset']}:{check['check_name']}: {check['detail']}")
        for check in last["warned_checks"]:
            lines.append(f"  warned check {check['asset']}:{check['check_name']}: {check['detail']}")
        if not (last["failed_steps"] or last["failed_checks"] or last["warned_checks"]):
            lines.append("  every check passed")
    delivery = status.get("alert_delivery")
    if delivery and not delivery["outcome"].startswith("off"):
        state = "FAILED" if delivery["failed"] else "ok"
        lines.append(
            f"last alert delivery: {state} (run {delivery['run_id'][:8]}, {delivery['at'][:16].replace('T', ' ')} UTC)"
        )
        for part in delivery["outcome"].split("; "):
            lines.append(f"  {part}")
    if len(status["recent_runs"]) > 1:
        lines.append("recent runs:")
        for run in status["recent_runs"]:
            lines.append(f"  {run['run_id'][:8]}  {run['status'].lower():<9} batch days {run['batch_days']}")
    return "\n".join(lines)
