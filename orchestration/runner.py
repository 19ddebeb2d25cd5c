"""Launch one Dagster run for a window of batch days, in-process, on the persistent instance."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from dagster import DagsterEventType

from config import Settings, key_rebuild_pending, key_rebuilt, private_opener, rotate_hash_key, secure_home
from orchestration.db import holding_working_db, working_db
from orchestration.instance import dagster_instance
from orchestration.partitions import history_start_from, landed_range
from orchestration.run_events import STAGES, dbt_test_failure, stage_of
from orchestration.window import RANGE_END_TAG, RANGE_START_TAG
from quality import dbt_test_counts

INGEST_FIELDS = ("files", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")


class WindowOutsideHistory(ValueError):
    """A run asked for batch days the landing zone does not hold; the message names what it holds."""


@dataclass
class CheckCounts:
    passed: int = 0
    warned: int = 0
    failed: int = 0


@dataclass
class RunReport:
    run_id: str
    success: bool
    start: date
    end: date
    failures: list[str] = field(default_factory=list)  # "step: message" / "check asset:name: description"
    warnings: list[str] = field(default_factory=list)  # "asset:name: description" of checks that warned
    ingest: dict[str, dict[str, int]] = field(default_factory=dict)  # entity -> INGEST_FIELDS
    raw_checks: CheckCounts = field(default_factory=CheckCounts)  # the quality gate's checks
    dbt_checks: CheckCounts = field(default_factory=CheckCounts)  # dbt's data tests
    models_built: int = 0
    published_tables: int | None = None  # every table of the serving database
    published_marts: int | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    alert_delivery: str | None = None  # what the delivery step did ("off ...", "webhook: sent ...")

    def one_line(self) -> str:
        window = f"{self.start}" if self.start == self.end else f"{self.start}..{self.end}"
        if self.success:
            return f"run {self.run_id} succeeded for batch days {window}"
        return f"run {self.run_id} failed for batch days {window}: " + " | ".join(self.failures or ["see the log"])


@contextmanager
def run_lock(settings: Settings, on_wait: Callable[[], None] | None = None):
    """Serialise runs on one warehouse home; the OS drops the lock if the process dies. `on_wait`
    is called once when another run holds it."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / "run.lock", "w", opener=private_opener) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def step_failure_message(data) -> str:
    """What a failed step says: the description of the Failure an asset raised (it said itself
    what went wrong), else the first line of the error."""
    user = data.user_failure_data.description if data.user_failure_data else None
    return user or _first_line(data.error.message if data.error else "")


def check_window(settings: Settings, start: date, end: date) -> date:
    """WindowOutsideHistory unless start..end lies within the batch days that can run: from the
    history start to the last `dt=` folder, and not after yesterday (the last complete day).
    Returns the history start."""
    landed = landed_range(settings)
    if landed is None:
        raise WindowOutsideHistory(f"the landing zone {settings.landing} holds no batch day (no dt= folder) yet")
    first = history_start_from(settings, landed)
    last = min(landed[1], settings.yesterday())
    if start < first or end > last:
        asked = f"{start}" if start == end else f"{start}..{end}"
        later = f" (days after {last} are not complete yet in {settings.tz})" if landed[1] > last else ""
        raise WindowOutsideHistory(f"no batch days {asked} to run: the landing zone holds {first}..{last}{later}")
    return first


def run_config(full_refresh: bool = False) -> dict:
    """Run config of the warehouse job; `full_refresh` rebuilds every incremental dbt model. Naming
    the `warehouse` logger leaves out Dagster's console logger (orchestration/run_events.py)."""
    config: dict = {"loggers": {"warehouse": {}}}
    if full_refresh:
        config["ops"] = {"transform": {"config": {"full_refresh": True}}}
    return config


def rotate_key(settings: Settings, on_wait: Callable[[], None] | None = None) -> None:
    """A new personal-data key, between runs (config.rotate_hash_key): the next run rebuilds
    every model with it."""
    with run_lock(settings, on_wait):
        rotate_hash_key(settings.home)


def run_window(
    settings: Settings, start: date, end: date, full_refresh: bool = False, on_wait: Callable[[], None] | None = None
) -> RunReport:
    """Ingest, gate, build, publish and rebuild dashboards for batch days start..end: ONE run
    (one dbt invocation; `full_refresh` passes dbt --full-refresh). Dagster's messages go to the
    `warehouse.dagster` logger (orchestration/run_events.py); `on_wait` is called once when
    another run of this warehouse holds the lock."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    first = check_window(settings, start, end)
    secure_home(settings)  # the modes of docs/design.md, also for a home an older version wrote
    # disposed at the end: the event log keeps its SQLite connections open while it lives
    with dagster_instance(settings) as instance:
        from orchestration.job import JOB_NAME, build_definitions  # imported late: loading parses the dbt project

        job = build_definitions(settings, first).resolve_job_def(JOB_NAME)
        with run_lock(settings, on_wait):
            # after a key rotation every model is rebuilt, until one run has done it successfully
            rebuild = key_rebuild_pending(settings.home)
            # the working database stays open from the run's first step to its last (orchestration/db.py)
            with holding_working_db(settings):
                result = job.execute_in_process(
                    instance=instance,
                    tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()},
                    run_config=run_config(full_refresh or rebuild),
                    raise_on_error=False,
                )
                with working_db(settings) as con:  # dbt's tests are counted in ops, not in Dagster's events
                    dbt_tests = CheckCounts(*dbt_test_counts(con, result.run_id))
            if rebuild and result.success:
                key_rebuilt(settings.home)
        report = RunReport(result.run_id, result.success, start, end, dbt_checks=dbt_tests)
        _read_events(report, result.all_events)
        report.stage_seconds = _stage_seconds(instance, result.run_id)
    return report


def _note_check(report: RunReport, name: str, description: str | None, warned: bool) -> None:
    """A check (the gate's or a dbt test) that did not pass, in the report's words."""
    if warned:
        report.warnings.append(name + (f": {description}" if description else ""))
    else:
        report.failures.append(f"check {name} failed" + (f" ({description})" if description else ""))


def _read_events(report: RunReport, events) -> None:
    built = set()
    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            message = _first_line(step_failure_message(event.step_failure_data))
            report.failures.append(f"{event.step_key}: {message}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            counts = report.raw_checks  # the gate's checks: the only Dagster asset checks
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            warned = evaluation.severity.value == "WARN"
            if evaluation.passed:
                counts.passed += 1
                continue
            if warned:
                counts.warned += 1
            else:
                counts.failed += 1
            _note_check(report, name, getattr(evaluation, "description", None), warned)
        elif event.event_type == DagsterEventType.ASSET_OBSERVATION:
            failed_test = dbt_test_failure(event)  # counted from ops.check_results (run_window)
            if failed_test:
                asset, test, detail, warned = failed_test
                _note_check(report, f"{asset}:{test}", detail, warned)
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key
            metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
            if key.path[0] == "raw":
                report.ingest[key.path[-1]] = {f: int(metadata.get(f, 0) or 0) for f in INGEST_FIELDS}
            elif key.path[0] in ("staging", "intermediate", "marts", "utilities", "seeds"):
                built.add(key)  # one materialization per batch day of a partitioned model
            elif key.path[-1] == "alert_delivery":
                report.alert_delivery = str(metadata.get("outcome", ""))
            elif key.path[-1] == "serving_database":
                report.published_tables = sum(1 for k in metadata if k != "path")
                report.published_marts = sum(1 for k in metadata if k.startswith("marts."))
    report.models_built = len(built)


def _stage_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall-clock seconds per stage of the run, from its step events."""
    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    spans: dict[str, list[float]] = {}
    for record in instance.all_logs(run_id, of_type=kinds):
        stage = stage_of(record.step_key)
        if stage:
            spans.setdefault(stage, []).append(record.timestamp)
    order = [name for name, _ in STAGES]
    return {stage: max(times) - min(times) for stage, times in sorted(spans.items(), key=lambda kv: order.index(kv[0]))}
