"""How often does each risk rule of kpis.md fire on a day when nothing happened?

kpis.md ("Risk early warning"): "a rule that fires on more than 1 % of noise-only days is a broken
rule (each rule's false-alarm rate is measured on simulated noise and documented)". Two measures:

1. Noise-only series (always; seconds): the day-level rules on series drawn without any event,
   many simulated shops per cell, for a few noise levels and shop sizes:
   - kpi_anomaly: log(value) = level + 0.2 % a day + a weekday pattern + normal noise of sigma;
     the rule is the independent reference (tests/reference/analytics.py, numpy least squares);
   - payment_failures: failed attempts ~ binomial(attempts a day, 4.7 %), mean + 3 sd of 28 days
     and more than 5 failed attempts above what the mean predicts;
   - service_sla: breached tickets ~ binomial(judged tickets a day, 27 %), mean + 3 sd and + 5
     points of 28 days;
   - page_load: the 90th percentile of a day's page loads (lognormal), 1.5 x the 28-day median.
2. A simulated shop (`--warehouse`): the simulator has no switch to turn its planted events off,
   so the days its plan and truths name (promotions, the payment incident, the planted orders
   and customers, any other dated plant) are left out and every other day counts as ordinary:
   the share of ordinary days on which each rule of `marts.risk_alerts` fired about anything but
   a planted entity (and, for the rules about orders and customers, the share of orders /
   customers).

    .venv/bin/python bench/risk_false_alarms.py [--shops 40] [--days 365] [--seed 1]
    .venv/bin/python bench/risk_false_alarms.py --warehouse HOME/warehouse.duckdb --landing HOME/landing

`--warehouse` takes a working or serving database after `warehouse run` over the landing's days.
Figures are recorded in docs/analytics.md ("How often an alert is a false alarm").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reference.analytics import kpi_anomaly_alerts  # noqa: E402

WEEKDAY = np.array([0.0, 0.02, 0.04, 0.02, 0.1, 0.25, 0.22])  # log effect Monday..Sunday
TRAILING = 28
MIN_TRAILING = 7


def kpi_anomaly_rate(sigma: float, shops: int, days: int, rng: np.random.Generator) -> tuple[int, int]:
    """(alerts, evaluated days) of kpi_anomaly on noise-only series."""
    alerts = evaluated = 0
    start = date(2026, 1, 5)
    dates = [start + timedelta(days=n) for n in range(days)]
    base = np.log(300_000) + 0.002 * np.arange(days) + WEEKDAY[[d.weekday() for d in dates]]
    for _ in range(shops):
        values = np.exp(base + rng.normal(0, sigma, days))
        kpis = pl.DataFrame({"date": dates, "gmv": values, "sessions": [None] * days, "conversion_rate": [None] * days})
        alerts += len(kpi_anomaly_alerts(kpis))
        evaluated += days - 56
    return alerts, evaluated


def _trailing(series: np.ndarray) -> np.ndarray:
    """(days - 28, 28) windows: the trailing 28 days of each day from day 28 on."""
    return np.lib.stride_tricks.sliding_window_view(series, TRAILING)[:-1]


def share_rule_rate(n: int, p: float, min_points: float, shops: int, days: int, rng) -> tuple[int, int]:
    """(alerts, evaluated days) of 'share > mean + 3 sd of the trailing 28 days (and + min_points)'
    on binomial(n, p) / n days; days 8..28 (fewer trailing days) are left out for simplicity.
    payment_failures' floor of 5 failed attempts is min_points = 5 / n."""
    alerts = evaluated = 0
    for _ in range(shops):
        share = rng.binomial(n, p, days) / n
        window = _trailing(share)
        mean, sd = window.mean(axis=1), window.std(axis=1, ddof=1)
        today = share[TRAILING:]
        alerts += int(np.sum((today > mean + 3 * sd) & (today > mean + min_points)))
        evaluated += len(today)
    return alerts, evaluated


def page_load_rate(views: int, sigma: float, shops: int, days: int, rng) -> tuple[int, int]:
    """(alerts, evaluated days) of 'p90 > 1.5 x the median of the trailing 28 days' with `views`
    lognormal page loads a day (median 875 ms)."""
    alerts = evaluated = 0
    for _ in range(shops):
        p90 = np.array([np.percentile(rng.lognormal(np.log(875), sigma, views), 90) for _ in range(days)])
        today = p90[TRAILING:]
        alerts += int(np.sum(today > 1.5 * np.median(_trailing(p90), axis=1)))
        evaluated += len(today)
    return alerts, evaluated


def noise_only(shops: int, days: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"noise-only series: {shops} shops x {days} days per cell (seed {seed}); share of evaluated days alerting")

    def line(label: str, counts: tuple[int, int]) -> None:
        alerts, evaluated = counts
        print(f"  {label:<58} {alerts:>5} / {evaluated:>6} = {alerts / evaluated:6.2%}")

    for sigma in (0.02, 0.05, 0.10):
        line(f"kpi_anomaly, day-to-day noise {sigma:.0%}", kpi_anomaly_rate(sigma, shops, days, rng))
    for n in (1000, 100, 20):
        line(f"payment_failures, {n} attempts a day, 4.7 % failed", share_rule_rate(n, 0.047, 5 / n, shops, days, rng))
        line(
            f"  (without the 5 attempts: mean + 3 sd only, {n} attempts)",
            share_rule_rate(n, 0.047, 0.0, shops, days, rng),
        )
    for n in (85, 20, 5):
        line(f"service_sla, {n} judged tickets a day, 27 % breached", share_rule_rate(n, 0.27, 0.05, shops, days, rng))
        line(
            f"  (without the 5 points: mean + 3 sd only, {n} tickets)", share_rule_rate(n, 0.27, 0.0, shops, days, rng)
        )
    for views in (40_000, 500, 50):
        line(f"page_load, {views} page views a day", page_load_rate(views, 0.5, max(shops // 4, 1), days, rng))


# --------------------------------------------------------------------------- a simulated shop


def _strings(node):
    """Every string anywhere inside a JSON value."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _planted_days(simulation: dict) -> set[date]:
    """Every date the simulator's plan and risk truths name (ISO strings anywhere inside them)."""
    found: set[date] = set()
    for part in (simulation.get("plan", {}), simulation.get("truths", {}).get("risk", {})):
        for text in _strings(part):
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                try:
                    found.add(date.fromisoformat(text))
                except ValueError:
                    pass
    return found


def _planted_entities(simulation: dict, key_file: Path) -> set[str]:
    """Every id the risk truths name (orders, customers, devices, IPs), as is and as its keyed hash
    when the warehouse's key file is there: an alert about a planted entity is not a false alarm,
    whatever day it falls on (refund_abuse fires when the planted customer meets the rule)."""
    names = set(_strings(simulation.get("truths", {}).get("risk", {})))
    if key_file.exists():
        key = key_file.read_text().strip()
        names |= {hashlib.sha256(f"{key}:{name}".encode()).hexdigest() for name in list(names)}
    return names


def simulated_shop(warehouse: Path, landing: Path) -> None:
    import duckdb

    simulation = json.loads((landing / "_simulation.json").read_text())
    planted = _planted_days(simulation)
    planted_entities = _planted_entities(simulation, warehouse.parent / "hash_key")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        first, last = con.execute("SELECT min(date), max(date) FROM marts.kpi_daily").fetchone()
        alerts = con.execute("SELECT alert_type, alert_date, entity FROM marts.risk_alerts").fetchall()
        paid_orders, customers = con.execute(
            "SELECT sum(paid_orders), (SELECT count(*) FROM marts.customer_rfm) FROM marts.kpi_daily"
        ).fetchone()
    finally:
        con.close()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    ordinary = [d for d in days if d not in planted]
    print(
        f"\n{warehouse}: {len(days)} days {first} .. {last}, {len(days) - len(ordinary)} planted days left out: "
        + ", ".join(str(d) for d in sorted(planted) if first <= d <= last)
    )
    # the days each rule can fire on: from the first day with its history
    evaluated_from = {
        "kpi_anomaly": first + timedelta(days=56),
        "payment_failures": first + timedelta(days=MIN_TRAILING),
        "service_sla": first + timedelta(days=MIN_TRAILING),
        "page_load": first + timedelta(days=MIN_TRAILING),
    }
    print(f"  {'rule':<18} {'alerts':>7} {'ordinary days alerting':>28}   per entity")
    for rule in (
        "order_velocity",
        "amount_outlier",
        "refund_abuse",
        "payment_failures",
        "kpi_anomaly",
        "service_sla",
        "page_load",
    ):
        start = evaluated_from.get(rule, first)
        pool = [d for d in ordinary if d >= start]
        mine = [(d, e) for t, d, e in alerts if t == rule and d in set(pool) and e not in planted_entities]
        alert_days = {d for d, _ in mine}
        per_entity = ""
        if rule == "amount_outlier" and paid_orders:
            per_entity = f"{len(mine)} of {int(paid_orders):,} paid orders = {len(mine) / paid_orders:.3%}"
        elif rule == "refund_abuse" and customers:
            per_entity = (
                f"{len({e for _, e in mine})} of {customers:,} customers = {len({e for _, e in mine}) / customers:.3%}"
            )
        elif rule == "kpi_anomaly":
            per_entity = f"{len(mine)} of {3 * len(pool)} KPI-days = {len(mine) / max(3 * len(pool), 1):.2%}"
        share = len(alert_days) / len(pool) if pool else float("nan")
        print(f"  {rule:<18} {len(mine):>7} {len(alert_days):>8} / {len(pool):>3} days = {share:6.1%}   {per_entity}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=40, help="simulated noise-only shops per cell")
    parser.add_argument("--days", type=int, default=365, help="days per simulated shop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warehouse", type=Path, help="a warehouse.duckdb or serving.duckdb after a run")
    parser.add_argument("--landing", type=Path, help="its landing folder (for _simulation.json)")
    parser.add_argument("--no-noise", action="store_true", help="skip the noise-only series")
    args = parser.parse_args()
    if not args.no_noise:
        noise_only(args.shops, args.days, args.seed)
    if args.warehouse:
        if not args.landing:
            parser.error("--warehouse needs --landing")
        simulated_shop(args.warehouse, args.landing)


if __name__ == "__main__":
    main()
