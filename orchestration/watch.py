"""`warehouse watch`: one long-lived process that runs every batch day as it lands.

The landing sensor (orchestration/sensors.py) decides the same things, but Dagster's daemon starts
each run it asks for in a new process, which pays every run's start again: importing Dagster, dbt
and GX, dbt's parse, GX's context (~15 s of a tiny shop's ~30 s daily run as `warehouse run`,
docs/performance.md). Here the runs are `run_window` calls in this process, on the same Dagster
instance (they appear in the UI), so from the second run on a daily run costs what its work costs.

Each pass fingerprints the landing zone and runs the batch days that are new or changed since the
last run asked for them, once their files have settled: one run from the first such day to the
last. Only complete days are run (up to yesterday in the reporting zone, from the history's
start); a later day waits for its date. What was run is kept in $WAREHOUSE_HOME/watch.json (0600),
so a restarted watcher goes on where it stopped; without that file the first pass trusts the
ingest log as the sensor does (days ingested after their files last changed are done). A run that
fails is reported and its days are not asked for again until their files change, as with the
sensor: the failure is in `warehouse status`, the alerts and the UI. Use the watcher or the
daemon's sensor for a warehouse, not both (their runs would repeat each other's, one at a time).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from config import Settings, private_opener
from orchestration.partitions import history_start
from orchestration.runner import RunReport, run_window
from orchestration.sensors import DayFiles, landed_days, last_ingest_times, plan_runs, processed_from_ingest_log

CURSOR_FILE = "watch.json"


@dataclass(frozen=True)
class Pass:
    run: RunReport | None  # the pass's run, if anything was due
    waiting: int  # new or changed batch days left for a later pass: settling, or not complete yet
    busy: bool = False  # nothing decided: another process's run holds the working database


def complete_days(landed: Mapping[date, DayFiles], first: date, last: date) -> dict[date, DayFiles]:
    """The landed batch days a run may ask for: first (the history's start) .. last (yesterday)."""
    return {day: files for day, files in landed.items() if first <= day <= last}


def _cursor(settings: Settings) -> dict[str, str] | None:
    path = settings.home / CURSOR_FILE
    return json.loads(path.read_text()) if path.exists() else None


def _save_cursor(settings: Settings, processed: Mapping[str, str]) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / CURSOR_FILE
    partial = path.with_suffix(".tmp")
    with open(partial, "w", opener=private_opener) as out:
        json.dump(dict(sorted(processed.items())), out)
    partial.replace(path)  # a watcher stopped while writing keeps the previous cursor


def watch_once(
    settings: Settings,
    settle_seconds: float,
    on_start: Callable[[date, date], None] = lambda start, end: None,
) -> Pass:
    """One pass: the due batch days run as one run, if any are due (`on_start` hears of it first)."""
    landed = landed_days(settings.landing)
    processed = _cursor(settings)
    if processed is None:
        ingested = last_ingest_times(settings)
        if ingested is None:
            return Pass(None, 0, busy=True)
        processed = processed_from_ingest_log(landed, ingested)
        _save_cursor(settings, processed)
    yesterday = settings.yesterday()
    due = complete_days(landed, history_start(settings), yesterday)
    plan = plan_runs(due, processed, time.time(), settle_seconds, max_runs=len(due) or 1)
    later = [d for d, files in landed.items() if d > yesterday and processed.get(d.isoformat()) != files.digest]
    if not plan.ranges:
        return Pass(None, len(plan.waiting) + len(later))
    # one run from the first due day to the last: a range is one run whatever it holds (a day
    # already run is run again to the same result, a day without files is empty), and a history
    # with gaps, or a late file beside yesterday's batch, is one dbt invocation instead of many
    start, end = plan.ranges[0][0], plan.ranges[-1][1]
    on_start(start, end)
    report = run_window(settings, start, end)
    # asked for, whatever the outcome: a failed day runs again when its files change
    _save_cursor(settings, plan.processed)
    return Pass(report, len(plan.waiting) + len(later))
