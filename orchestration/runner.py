"""Launch one Dagster run for a window of batch days, in-process, on the persistent instance."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from dagster import DagsterEventType
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.instance import dagster_instance
from orchestration.settings import Settings


@dataclass
class RunReport:
    run_id: str
    success: bool
    start: date
    end: date
    failures: list[str] = field(default_factory=list)  # "step: message" / "check asset:name: description"

    def one_line(self) -> str:
        window = f"{self.start}" if self.start == self.end else f"{self.start}..{self.end}"
        if self.success:
            return f"run {self.run_id} succeeded for batch days {window}"
        return f"run {self.run_id} failed for batch days {window}: " + " | ".join(self.failures or ["see the log"])


@contextmanager
def run_lock(settings: Settings):
    """Serialise runs on one warehouse home; the OS drops the lock if the process dies."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / "run.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def run_config(log_level: str = "INFO", full_refresh: bool = False) -> dict:
    """Run config of the warehouse job; `full_refresh` rebuilds every incremental dbt model."""
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full_refresh:
        config["ops"] = {"transform": {"config": {"full_refresh": True}}}
    return config


def run_window(settings: Settings, start: date, end: date, log_level: str = "INFO",
               full_refresh: bool = False) -> RunReport:
    """Ingest, gate, build, publish and rebuild dashboards for batch days start..end: ONE run
    (one dbt invocation; `full_refresh` passes dbt --full-refresh)."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    instance = dagster_instance(settings)
    from orchestration.definitions import JOB_NAME, defs  # imported late: loading parses the dbt project

    job = defs.resolve_job_def(JOB_NAME)
    with run_lock(settings):
        result = job.execute_in_process(
            instance=instance,
            tags={ASSET_PARTITION_RANGE_START_TAG: start.isoformat(), ASSET_PARTITION_RANGE_END_TAG: end.isoformat()},
            run_config=run_config(log_level, full_refresh),
            raise_on_error=False,
        )
    report = RunReport(result.run_id, result.success, start, end)
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            # an asset that raised Failure(description=...) said itself what went wrong
            user = data.user_failure_data.description if data.user_failure_data else None
            message = _first_line(user or (data.error.message if data.error else ""))
            report.failures.append(f"{event.step_key}: {message}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                report.failures.append(
                    f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed"
                    + (f" ({evaluation.description})" if getattr(evaluation, "description", None) else "")
                )
    return report
