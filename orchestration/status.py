"""`warehouse status`: what the serving database holds and what the last runs did."""

from __future__ import annotations

from datetime import datetime, timezone

from dagster import DagsterEventType, RunsFilter
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
    lines = ["last runs:"] if runs else ["no runs yet"]
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
