"""What a metric question costs an analyst: `warehouse metrics` as a whole process, the first time
a request is asked (MetricFlow compiles it: the baseline) and when it is asked again (its kept SQL).

    WAREHOUSE_HOME=... WAREHOUSE_LANDING=... .venv/bin/python bench/metrics_query.py [--repeat 5]

Runs against the warehouse of the environment (a published one: the demo shop), each case
`--repeat` times, alternating, and prints the median and the spread. Figures are recorded in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

WAREHOUSE = Path(sys.executable).parent / "warehouse"
QUERY = ["metrics", "--metrics", "gmv", "--group-by", "metric_time__day"]
LIST = ["metrics", "--list"]


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(WAREHOUSE), *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kept = Path(os.environ["WAREHOUSE_HOME"]) / "dbt" / "metric_queries"
    figures: dict[str, list[float]] = {"compiled (first ask)": [], "kept (asked again)": [], "--list, kept": []}
    timed(QUERY)  # warm the file cache: every case reads the same files
    for _ in range(args.repeat):
        shutil.rmtree(kept, ignore_errors=True)
        figures["compiled (first ask)"].append(timed(QUERY))
        figures["kept (asked again)"].append(timed(QUERY))
        timed(LIST)
        figures["--list, kept"].append(timed(LIST))
    print(f"`warehouse {' '.join(QUERY)}`, {args.repeat} runs each")
    for name, runs in figures.items():
        print(f"{name:<22} median {statistics.median(runs):.2f}s  (min {min(runs):.2f}, max {max(runs):.2f})")


if __name__ == "__main__":
    main()
