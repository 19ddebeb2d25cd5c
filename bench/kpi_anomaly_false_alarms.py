"""How often does kpis.md's kpi_anomaly rule fire on a day that is NOT anomalous?

The rule: a day is anomalous when its value deviates from the median of the same weekday in the
previous 4 weeks by more than 3 x the median absolute deviation (MAD) of those 4 values, the MAD
taken as at least 1 % of the median. This script draws days with no anomaly at all (the day and
its 4 same-weekday predecessors independent, lognormal around one level, optionally with a steady
weekly growth) and counts how often the rule fires, for several noise levels; then, given a
serving database, it prints the share of evaluated KPI-days that fired there. A few variants of
the rule are shown beside it for comparison (more weeks of history, a larger multiple).

    .venv/bin/python bench/kpi_anomaly_false_alarms.py [--serving PATH] [--draws 200000]

Figures are recorded in docs/analytics.md ("kpi_anomaly: how noisy the rule is").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# (label, weeks of history, multiple of the MAD)
RULES = (
    ("kpis.md: 4 weeks, 3 x MAD", 4, 3.0),
    ("4 weeks, 5 x MAD", 4, 5.0),
    ("8 weeks, 3 x MAD", 8, 3.0),
    ("8 weeks, 5 x MAD", 8, 5.0),
)
NOISE = (0.01, 0.02, 0.05, 0.10)  # lognormal sigma of a day's value
MIN_MAD_SHARE = 0.01


def false_alarm_rate(
    sigma: float, weeks: int, multiple: float, weekly_growth: float, draws: int, rng: np.random.Generator
) -> float:
    """Share of noise-only days on which the rule fires."""
    trend = weekly_growth * np.arange(-weeks, 0)  # history weeks before the day (log scale)
    history = np.exp(rng.normal(0.0, sigma, (draws, weeks)) + trend)
    today = np.exp(rng.normal(0.0, sigma, draws))
    median = np.median(history, axis=1)
    mad = np.median(np.abs(history - median[:, None]), axis=1)
    scale = np.maximum(mad, MIN_MAD_SHARE * median)
    return float(np.mean(np.abs(today - median) > multiple * scale))


def observed(serving: Path) -> None:
    import duckdb

    con = duckdb.connect(str(serving), read_only=True)
    try:
        days = con.execute("SELECT count(*) FROM marts.kpi_daily").fetchone()[0]
        fired = con.execute(
            "SELECT entity, count(*) FROM marts.risk_alerts WHERE alert_type = 'kpi_anomaly' "
            "GROUP BY entity ORDER BY entity"
        ).fetchall()
    finally:
        con.close()
    evaluated = max(days - 28, 0)  # a day needs the same weekday in each of the 4 previous weeks
    print(f"\n{serving}: {days} days, {evaluated} evaluated per KPI")
    for kpi, n in fired:
        print(f"  {kpi:<16} {n:>3} alerts = {n / evaluated:.0%} of evaluated days" if evaluated else f"  {kpi} {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving", type=Path, help="a serving.duckdb to compare with (its kpi_anomaly alerts)")
    parser.add_argument("--draws", type=int, default=200_000, help="simulated days per cell")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for growth, title in ((0.0, "flat level"), (0.014, "growth of 0.2 % a day (the simulator's)")):
        print(f"\nshare of noise-only days flagged ({title}); columns: lognormal sigma of a day's value")
        print(f"  {'rule':<28}" + "".join(f"{s:>8.0%}" for s in NOISE))
        for label, weeks, multiple in RULES:
            rates = [false_alarm_rate(s, weeks, multiple, growth, args.draws, rng) for s in NOISE]
            print(f"  {label:<28}" + "".join(f"{r:>8.1%}" for r in rates))
    if args.serving:
        observed(args.serving)


if __name__ == "__main__":
    main()
