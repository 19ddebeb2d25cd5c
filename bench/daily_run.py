"""What a daily run costs after a history: wall time, the CPU of the run's own process (Dagster,
ingest, gate, dbt on DuckDB, publish) and of its child processes (dbt on Spark), and the run's
stages.

    .venv/bin/python bench/daily_run.py [--days 28] [--scale tiny] [--repeat 3] [--workdir DIR] [--start DAY]

It simulates `--days` batch days (seed 7) into <workdir>/landing, runs all but the last as one run
into a fresh <workdir>/home, then runs the last day `--repeat` times as a scheduler would (each run
re-delivers that day: the incremental path). Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START = date(2026, 6, 1)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed_run(settings, first: date, last: date) -> dict:
    from orchestration import run_window

    self0, children0, t0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    report = run_window(settings, first, last)
    if not report.success:
        raise SystemExit(report.one_line())
    return {
        "wall": time.perf_counter() - t0,
        "run process CPU": _cpu(resource.RUSAGE_SELF) - self0,
        "child processes CPU": _cpu(resource.RUSAGE_CHILDREN) - children0,
        **report.stage_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "large"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--start", type=date.fromisoformat, default=START, help="first simulated day (a year must end before today)"
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="daily_run_"))
    landing, home = workdir / "landing", workdir / "home"

    from config import load_settings
    from simulator import simulate

    if not (landing / "_simulation.json").exists():
        simulate(landing, args.start, args.days, scale=args.scale, seed=7)
    settings = load_settings(home=home, landing_override=landing)
    last = args.start + timedelta(days=args.days - 1)
    rows = [("history", timed_run(settings, args.start, last - timedelta(days=1)))]
    rows += [(f"daily {n + 1}", timed_run(settings, last, last)) for n in range(args.repeat)]
    columns = list(rows[0][1])
    print(f"{args.scale} shop, {args.days} days, in {workdir}")
    print(f"{'run':<10}" + "".join(f"{c:>18}" for c in columns))
    for name, figures in rows:
        print(f"{name:<10}" + "".join(f"{figures.get(c, 0):>17.1f}s" for c in columns))


if __name__ == "__main__":
    main()
