"""Markdown tables of bench/results/*.json (what docs/performance.md shows).

    .venv/bin/python bench/report.py [bench/results/medium.json ...]

One table per result file: stage, wall and CPU seconds, peak memory (sum over the stage's process
tree, polled), rows and rows per second; then the ratios measured in that run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def table(data: dict) -> str:
    head = f"**{data['label']}** (`--scale {data['scale']} --days {data['days']}`, from {data['start']}, seed {data['seed']})"
    lines = [head, "", "| stage | wall s | CPU s | peak MiB | rows | rows/s (wall) |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in data["stages"].items():
        if "wall_s" not in r:
            lines.append(f"| {name} | {r.get('skipped') or 'reused: ' + r.get('reused', '')} | | | | |")
            continue
        failed = " (FAILED)" if r.get("returncode") else ""
        peak = r.get("peak_tree_rss_mib", r.get("max_rss_mib", ""))
        rows = f"{r['rows']:,}" if r.get("rows") else ""
        rate = f"{r['rows_per_s']:,}" if r.get("rows_per_s") else ""
        lines.append(f"| {name}{failed} | {r['wall_s']} | {r.get('cpu_s', '')} | {peak} | {rows} | {rate} |")
    lines.append("")
    lines += [f"- {k}: {v}" for k, v in data.get("ratios", {}).items()]
    return "\n".join(lines)


def main() -> None:
    files = [Path(p) for p in sys.argv[1:]] or sorted(RESULTS.glob("*.json"))
    print("\n\n".join(table(json.loads(f.read_text())) for f in files))


if __name__ == "__main__":
    main()
