"""What a person sees while a run (or `simulate`) goes on: one progress display per stage, dbt's
and Dagster's detail in the log file (or on the console with --verbose).

On a terminal each stage is one live line (redrawn in place); when stderr is not a terminal each
stage prints one plain line when it ends (no carriage returns, no colour). A run's progress comes
from its own events: Dagster's step events (through the `warehouse` logger of the job, see
`orchestration`) and dbt's "N of M" result lines (the build writes them to stdout, as dagster-dbt
does for Spark's dbt process, and `DbtOutput` captures them for the duration of the run). `simulate` reports its days (`Progress.update`).
This module imports Dagster only when a run starts (`run_console`).
"""

from __future__ import annotations

import io
import logging
import re
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

DBT_LOGGER = "warehouse.dbt"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_DBT_RESULT = re.compile(r"^\s*(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")


@dataclass
class _Stage:
    name: str
    total: int = 0
    done: int = 0
    label: str = ""
    started: float = field(default_factory=time.monotonic)
    failed: bool = False


class Progress:
    """One display line per stage: live on a terminal, one plain line at its end otherwise."""

    def __init__(self, stream=None, live: bool | None = None, width: int = 28):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.width = width
        self.stages: dict[str, _Stage] = {}
        self._current: _Stage | None = None

    # --- events -------------------------------------------------------------------------
    def step_started(self, stage: str, total: int = 0) -> None:
        current = self.stages.get(stage)
        if current is None:
            if self._current and self._current.name != stage:
                self._end(self._current)
            current = self.stages[stage] = _Stage(stage, total)
        self._current = current
        self._draw(current)

    def advance(self, stage: str, done: int | None = None, total: int | None = None, label: str = "") -> None:
        current = self.stages.get(stage)
        if current is None:
            return
        current.done = current.done + 1 if done is None else done
        current.total = total if total is not None else current.total
        current.label = label
        self._draw(current)

    def update(self, stage: str, done: int, total: int) -> None:
        """`done` of `total` steps of a stage, the first call starting it: the simulator's
        progress callback."""
        if stage not in self.stages:
            self.step_started(stage, total)
        self.advance(stage, done=done, total=total)

    def failed(self, stage: str) -> None:
        if stage in self.stages:
            self.stages[stage].failed = True

    def finish(self) -> None:
        if self._current:
            self._end(self._current)
            self._current = None

    # --- drawing ------------------------------------------------------------------------
    def _line(self, s: _Stage, final: bool) -> str:
        seconds = time.monotonic() - s.started
        counts = f"{s.done}/{s.total}" if s.total else (f"{s.done}" if s.done else "")
        if final:
            state = "failed" if s.failed else "done"
            return f"  {s.name:<14} {state} in {seconds:.1f} s" + (f" ({counts})" if counts else "")
        filled = int(self.width * s.done / s.total) if s.total else 0
        bar = f"[{'#' * filled}{'.' * (self.width - filled)}]" if s.total else ""
        return f"  {s.name:<14} {bar} {counts} {s.label}"[:100]

    def _draw(self, s: _Stage) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K" + self._line(s, final=False))
            self.stream.flush()

    def _end(self, s: _Stage) -> None:
        prefix = "\r\x1b[2K" if self.live else ""
        self.stream.write(prefix + self._line(s, final=True) + "\n")
        self.stream.flush()


class _ProgressHandler(logging.Handler):
    """Feeds the progress display from the Dagster events of the run's log records."""

    def __init__(self, progress: Progress, raw_steps: int, stage_of: Callable[[str | None], str | None]):
        super().__init__(logging.DEBUG)
        self.progress = progress
        self.raw_steps = raw_steps
        self.stage_of = stage_of
        self._loaded: set[str] = set()  # entities the raw step materialized (once per batch day each)

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None:
            return
        stage = self.stage_of(event.step_key)
        if stage is None:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.progress.step_started(stage, self.raw_steps if stage == "ingest + gate" else 0)
        elif kind == "ASSET_MATERIALIZATION" and stage == "ingest + gate":
            entity = event.asset_key.path[-1]
            if entity not in self._loaded:  # one entity loaded and checked, for every day of the window
                self._loaded.add(entity)
                self.progress.advance(stage, done=len(self._loaded), label=entity)
        elif kind == "STEP_FAILURE":
            self.progress.failed(stage)


class DbtOutput(io.TextIOBase):
    """Stands in for stdout during a run: dbt's lines go to the log file (without colour codes),
    and to the real stdout too when verbose; its "N of M" lines advance the dbt stage."""

    def __init__(self, progress: Progress | None, verbose: bool, real):
        self.progress, self.verbose, self.real = progress, verbose, real
        self.log = logging.getLogger(DBT_LOGGER)
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.verbose:
            self.real.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(_ANSI.sub("", line).rstrip())
        return len(text)

    def flush(self) -> None:
        if self.verbose:
            self.real.flush()

    def _line(self, line: str) -> None:
        if not line.strip():
            return
        self.log.info(line)
        match = _DBT_RESULT.match(line)
        if match and self.progress and " hook" not in line:
            self.progress.advance("dbt build", done=None, total=int(match.group(2)), label=match.group(3).lower())


@contextmanager
def run_console(progress: Progress | None, verbose: bool, raw_steps: int):
    """For the duration of a run: Dagster's messages to the log file (and the console when
    verbose), dbt's output captured, the progress display fed."""
    from orchestration import DAGSTER_LOGGER, stage_of

    dagster_log = logging.getLogger(DAGSTER_LOGGER)
    handlers: list[logging.Handler] = []
    if progress:
        handlers.append(_ProgressHandler(progress, raw_steps, stage_of))
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.INFO)
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
        handlers.append(console)
    for handler in handlers:
        dagster_log.addHandler(handler)
    real_stdout = sys.stdout
    sys.stdout = DbtOutput(progress, verbose, real_stdout)
    try:
        yield
    finally:
        sys.stdout = real_stdout
        for handler in handlers:
            dagster_log.removeHandler(handler)
        if progress:
            progress.finish()


def _n(value: int) -> str:
    return f"{value:,}"


def render_summary(report, settings, elapsed: float) -> str:
    """The end of a run in 10-25 lines: per-entity rows, checks, dbt, publication, timings, and
    where to look next. `report` is a runner.RunReport."""
    window = f"{report.start}" if report.start == report.end else f"{report.start}..{report.end}"
    days = (report.end - report.start).days + 1
    state = "succeeded" if report.success else "FAILED"
    lines = [f"run {report.run_id[:8]} {state}: batch days {window} ({days} day{'s' * (days != 1)}) in {elapsed:.0f} s"]
    if report.ingest:
        lines.append(f"  {'entity':<20}{'files':>7}{'read':>11}{'loaded':>11}{'quarantined':>13}{'duplicates':>12}")
        for entity, t in sorted(report.ingest.items()):
            lines.append(
                f"  {entity:<20}{_n(t['files']):>7}{_n(t['rows_read']):>11}{_n(t['rows_loaded']):>11}"
                f"{_n(t['rows_quarantined']):>13}{_n(t['rows_duplicate']):>12}"
            )
    raw, dbt = report.raw_checks, report.dbt_checks
    lines.append(f"  quality checks: {raw.passed} passed, {raw.warned} warned, {raw.failed} failed")
    for warning in report.warnings[:3]:
        lines.append(f"    warned {warning}"[:160])
    if len(report.warnings) > 3:
        lines.append(f"    and {len(report.warnings) - 3} more warnings (warehouse status)")
    if report.models_built or dbt.passed or dbt.failed:
        lines.append(
            f"  dbt: {report.models_built} models built; tests {dbt.passed} passed, {dbt.warned} warned, "
            f"{dbt.failed} failed"
        )
    if report.published_tables is not None:
        lines.append(
            f"  published {report.published_marts} marts ({report.published_tables} tables with ops and the "
            f"semantic layer's) to {settings.serving_db}"
        )
    else:
        lines.append("  nothing published: the serving database keeps the last good version")
    if report.alert_delivery and not report.alert_delivery.startswith("off"):
        lines.append(f"  alerts: {report.alert_delivery}"[:200])
    if not report.success:
        for failure in report.failures[:3]:
            lines.append(f"  failed {failure}"[:200])
    if report.stage_seconds:
        lines.append(
            "  time: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.stage_seconds.items())
        )
    lines.append(f"  next: warehouse status | {settings.dashboards_dir / 'index.html'} | log {settings.log_file}")
    return "\n".join(lines)
