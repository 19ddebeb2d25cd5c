"""The landing sensor: new `dt=` folders, late folders for old days and changed files start runs.

Every tick the sensor takes a fingerprint of each batch day in the landing zone (name, size and
modification time of every data file of every entity of that day) and compares it with the
fingerprints it has already asked runs for (its cursor). Days that are new or changed, and whose
newest file is older than a settling time (an upstream system may still be writing), are grouped
into ranges of consecutive days, one run each: the same runs `warehouse backfill` would start, so
late data for an old day is processed without anyone asking. The decision is a pure function
(`plan_runs`), tested on its own; the sensor only reads the folders and wraps the plan.

On its first tick (no cursor) the sensor trusts the ingest log: a day whose files were all
ingested after they last changed counts as processed, so turning the sensor on over a warehouse
that the CLI already ran does not re-run its whole history.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from config import Settings
from ingest import ENTITIES, batch_days, partition_dir
from orchestration.resources import WarehouseResource
from orchestration.window import RANGE_END_TAG, RANGE_START_TAG

SETTLE_SECONDS = 120  # a batch day is picked up once none of its files changed for this long
TICK_SECONDS = 60


@dataclass(frozen=True)
class DayFiles:
    """What a batch day holds now: a digest of its files and when the newest one changed."""

    digest: str
    newest_mtime: float


@dataclass
class Plan:
    ranges: list[tuple[date, date]] = field(default_factory=list)  # the runs to request now, in order
    processed: dict[str, str] = field(default_factory=dict)  # the new cursor: day -> digest
    waiting: list[date] = field(default_factory=list)  # changed but still settling
    later: list[tuple[date, date]] = field(default_factory=list)  # due, for the next ticks


def plan_runs(
    landed: Mapping[date, DayFiles],
    processed: Mapping[str, str],
    now: float,
    settle_seconds: float = SETTLE_SECONDS,
    max_runs: int = 1,
) -> Plan:
    """Which batch days need a run: new or changed since a run was last requested for them, and
    settled. Consecutive days share a run. At most `max_runs` runs are requested (one writer to
    the working database at a time); the other due days stay unmarked and come next tick. Days
    that disappeared stay in the cursor (a missing folder means "not arrived": nothing to rebuild)."""
    plan = Plan(processed=dict(processed))
    due = []
    for day in sorted(landed):
        files = landed[day]
        if processed.get(day.isoformat()) == files.digest:
            continue
        if now - files.newest_mtime < settle_seconds:
            plan.waiting.append(day)
            continue
        due.append(day)
    ranges = consecutive_ranges(due)
    plan.ranges, plan.later = ranges[:max_runs], ranges[max_runs:]
    for start, end in plan.ranges:
        for day in _days(start, end):
            plan.processed[day.isoformat()] = landed[day].digest
    return plan


def consecutive_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def processed_from_ingest_log(landed: Mapping[date, DayFiles], ingested_at: Mapping[date, float]) -> dict[str, str]:
    """The first cursor: days whose files all changed before their last ingest (epoch seconds)."""
    return {
        day.isoformat(): files.digest
        for day, files in landed.items()
        if day in ingested_at and ingested_at[day] >= files.newest_mtime
    }


def _data_files(folder: Path) -> list[Path]:
    # markers (`_SUCCESS`, `.DS_Store`) are not data, as in ingestion (docs/design.md)
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "_")))


def landed_days(landing: Path) -> dict[date, DayFiles]:
    """Fingerprint of every batch day of every entity in the landing zone."""
    entries: dict[date, list[str]] = {}
    newest: dict[date, float] = {}
    for entity in ENTITIES:
        for day in batch_days(landing, entity):
            folder = partition_dir(landing, entity, day)
            entries.setdefault(day, [])
            newest.setdefault(day, folder.stat().st_mtime)  # an empty folder is a batch too
            for path in _data_files(folder):
                stat = path.stat()
                entries[day].append(f"{path.relative_to(landing)}\t{stat.st_size}\t{stat.st_mtime_ns}")
                newest[day] = max(newest[day], stat.st_mtime)
    return {
        day: DayFiles(hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16], newest[day])
        for day, lines in entries.items()
    }


def last_ingest_times(settings: Settings) -> dict[date, float] | None:
    """Latest successful ingest per batch day from ops.ingest_log; None while a run holds the
    working database (DuckDB lets no reader in beside its writer) or before the first run."""
    import duckdb

    if not settings.working_db.exists():
        return {}
    try:
        con = duckdb.connect(str(settings.working_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(
            "SELECT batch_dt, epoch(min(ingested_at)) FROM ("
            "  SELECT batch_dt, entity, max(ingested_at) AS ingested_at FROM ops.ingest_log"
            "  WHERE status = 'loaded' GROUP BY ALL) GROUP BY batch_dt"
        ).fetchall()
    except duckdb.Error:  # no ops schema yet
        return {}
    finally:
        con.close()
    return {day: float(seconds) for day, seconds in rows}


def run_requests(plan: Plan) -> list[RunRequest]:
    return [
        RunRequest(
            run_key=f"landing:{start}..{end}:" + "".join(plan.processed[d.isoformat()][:4] for d in _days(start, end)),
            tags={
                RANGE_START_TAG: start.isoformat(),
                RANGE_END_TAG: end.isoformat(),
                "warehouse/trigger": "landing_sensor",
            },
        )
        for start, end in plan.ranges
    ]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _active_runs(context: SensorEvaluationContext, job_name: str) -> int:
    from dagster import DagsterRunStatus, RunsFilter

    active = [
        DagsterRunStatus.QUEUED,
        DagsterRunStatus.NOT_STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
    ]
    return len(context.instance.get_run_ids(RunsFilter(job_name=job_name, statuses=active), limit=1))


def evaluate_landing(context: SensorEvaluationContext, settings: Settings, job_name: str, now: float | None = None):
    """One tick: a run request for the first new or changed range of batch days, and the new
    cursor. Nothing while a run of the job is queued or going on (one writer at a time)."""
    if _active_runs(context, job_name):
        return SkipReason("a run is queued or going on; looking again next tick")
    landed = landed_days(settings.landing)
    if context.cursor:
        processed = json.loads(context.cursor)
    else:
        ingested = last_ingest_times(settings)
        if ingested is None:
            return SkipReason("the working database is busy (a run is going on); looking again next tick")
        processed = processed_from_ingest_log(landed, ingested)
    plan = plan_runs(landed, processed, time.time() if now is None else now)
    cursor = json.dumps(plan.processed, sort_keys=True)
    if not plan.ranges:
        waiting = f"; {len(plan.waiting)} batch day(s) still settling" if plan.waiting else ""
        return SensorResult(skip_reason=SkipReason(f"no new or changed batch days{waiting}"), cursor=cursor)
    return SensorResult(run_requests=run_requests(plan), cursor=cursor)


def build_landing_sensor(job):
    @sensor(
        job=job,
        name="landing_sensor",
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts a run for every new `dt=` folder and for late folders or changed files of "
        "old batch days (consecutive days share a run), once their files have settled.",
    )
    def landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
        return evaluate_landing(context, warehouse.settings(), job.name)

    return landing_sensor
