"""`warehouse status`: what the serving database holds and what the last runs did."""

from __future__ import annotations

from datetime import datetime, timezone

from dagster import DagsterEventType, DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from orchestration.instance import dagster_instance
from orchestration.serving import NotPublishedYet, connect_serving
from orchestration.settings import Settings


def _serving_sections(settings: Settings) -> list[str]:
    try:
        con = connect_serving(settings)
    except NotPublishedYet as exc:
        return [str(exc)]
    try:
        run_id, published_at, checksum = con.execute(
            "SELECT run_id, published_at, marts_checksum FROM ops.publication").fetchone()
        lines = [f"serving database: {settings.serving_db}",
                 f"  published {published_at:%Y-%m-%d %H:%M:%S %Z} by run {run_id}",
                 f"  data version (marts checksum) {checksum[:16]}"]
        lines.append("freshness per source (latest batch day loaded, files, rows read, quarantined, duplicates):")
        for entity, last_dt, files, read, quarantined, dup in con.execute(
            """
            SELECT entity, max(batch_dt), count(*), sum(rows_read), sum(rows_quarantined), sum(rows_duplicate)
            FROM ops.ingest_log GROUP BY entity ORDER BY entity
            """
        ).fetchall():
            lines.append(f"  {entity:<18} {last_dt}  {files:>5} files {read:>11,} read {quarantined:>8,} quarantined {dup:>8,} duplicates")
        return lines
    finally:
        con.close()


def _short(text: str | None, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _last_failed_run_lines(instance) -> list[str]:
    """The failed checks (with what they found) and steps of the most recent failed run. Read from
    the Dagster instance, which stays readable while a run holds the working database."""
    runs = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE]), limit=1)
    if not runs:
        return []
    run = runs[0]
    first = run.tags.get(ASSET_PARTITION_RANGE_START_TAG, run.tags.get(PARTITION_NAME_TAG, "?"))
    last = run.tags.get(ASSET_PARTITION_RANGE_END_TAG, first)
    lines = [f"last failed run: {run.run_id[:8]} (batch days {first}..{last})"]
    checks, steps = [], []
    kinds = {DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION}
    for record in instance.all_logs(run.run_id, of_type=kinds):
        event = record.dagster_event
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                checks.append(f"  failed check {name}: {_short(getattr(evaluation, 'description', None)) or 'failed'}")
        else:
            data = event.step_failure_data
            message = (data.user_failure_data.description if data.user_failure_data else None) or (
                data.error.message.strip().splitlines()[0] if data.error and data.error.message.strip() else "failed")
            steps.append(f"  failed step {event.step_key}: {_short(message)}")
    return lines + (checks or ["  no check failed"]) + steps


def _failure_lines(instance, run_id: str) -> list[str]:
    lines = []
    kinds = {DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION}
    for record in instance.all_logs(run_id, of_type=kinds):
        event = record.dagster_event
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            text = (data.user_failure_data.description if data.user_failure_data else None) or (
                data.error.message if data.error else "")
            message = text.strip().splitlines()[0] if text.strip() else "failed"
            lines.append(f"      failed step {event.step_key}: {message}")
        elif not event.event_specific_data.passed:
            evaluation = event.event_specific_data
            lines.append(f"      failed check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return lines


def _run_sections(settings: Settings, limit: int = 5) -> list[str]:
    instance = dagster_instance(settings)
    runs = instance.get_runs(RunsFilter(), limit=limit)
    failed = _last_failed_run_lines(instance)
    lines = (failed + [""] if failed else []) + (["last runs:"] if runs else ["no runs yet"])
    for run in runs:
        started = instance.get_run_stats(run.run_id).start_time
        when = datetime.fromtimestamp(started, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if started else "-"
        first = run.tags.get(ASSET_PARTITION_RANGE_START_TAG, run.tags.get(PARTITION_NAME_TAG, "?"))
        last = run.tags.get(ASSET_PARTITION_RANGE_END_TAG, first)
        lines.append(f"  {run.run_id[:8]}  {run.status.value:<8} {when}  batch days {first}..{last}")
        lines += _failure_lines(instance, run.run_id)
    return lines


def render_status(settings: Settings) -> str:
    return "\n".join(_serving_sections(settings) + [""] + _run_sections(settings))
