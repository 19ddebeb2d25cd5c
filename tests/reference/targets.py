"""Reference target_tracking: an independent computation of the mart straight from the landing
files (kpis.md, "Targets (plan vs actual)"; the rules we chose are in the mart's YAML).

Plain polars, nothing imported from the pipeline. Targets: the latest `plan/targets` row per
(month, metric, channel) by `updated_at`, then order of arrival; channel compared lower-cased,
null = the whole shop ('all'). Actuals: the reference kpi_daily (and its margin columns) for
whole-shop metrics, the reference channel_daily for a channel's (and the shop's spend and
attributed_revenue, summed over channels), over the month's days up to the last complete day; the
gmv projection from the reference forecast when it covers every remaining day of the month.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

import polars as pl

from tests.reference import kpi_daily as kd
from tests.reference.analytics import compute_gmv_forecast
from tests.reference.channel_funnel import compute_channel_daily
from tests.reference.margin import compute_kpi_margin

FIELDS = kd.with_fields(
    {
        ("plan", "targets"): {
            "month": "string",
            "metric": "string",
            "channel": "string",
            "value": "decimal",
            "updated_at": "timestamp",
        }
    }
)
SHOP_METRICS = ("gmv", "gross_revenue", "net_revenue", "paid_orders", "new_customers", "sessions")
CHANNEL_METRICS = ("sessions", "new_customers", "spend", "attributed_revenue")
RATIOS = ("conversion_rate", "aov")
COLUMNS = {
    "month": pl.Date,
    "metric": pl.String,
    "channel": pl.String,
    "target": pl.Float64,
    "actual_to_date": pl.Float64,
    "days_elapsed": pl.Int64,
    "days_in_month": pl.Int64,
    "expected_to_date": pl.Float64,
    "pace": pl.Float64,
    "projected": pl.Float64,
    "on_track": pl.Boolean,
}


def _targets(landing: Path) -> list[dict]:
    df = kd.read_entity(landing, "plan", "targets", FIELDS)
    if df is None:
        return []
    df = df.with_columns(pl.col("channel").str.strip_chars().str.to_lowercase())
    return kd._latest(df, ["month", "metric", "channel"], ["updated_at"]).to_dicts()


def _daily_values(landing: Path, tz: str, base_currency: str) -> dict[tuple[str, str], dict[date, tuple]]:
    """(metric, channel) -> {date: (numerator, denominator)}."""
    kpis = kd.compute_kpi_daily(landing, tz, base_currency)
    margin = compute_kpi_margin(landing, tz, base_currency)
    channels = compute_channel_daily(landing, tz, base_currency)
    values: dict[tuple[str, str], dict[date, tuple]] = {}
    for row in kpis.to_dicts():
        day = row["date"]
        for metric in SHOP_METRICS:
            values.setdefault((metric, "all"), {})[day] = (row[metric], None)
        sessions = row["sessions"]
        converted = None if row["conversion_rate"] is None else round(row["conversion_rate"] * sessions)
        values.setdefault(("conversion_rate", "all"), {})[day] = (converted, sessions)
        values.setdefault(("aov", "all"), {})[day] = (row["gross_revenue"], row["paid_orders"])
    for row in margin.to_dicts():
        values.setdefault(("gross_margin", "all"), {})[row["date"]] = (row["gross_margin"], None)
    for row in channels.to_dicts():
        for metric in CHANNEL_METRICS:
            values.setdefault((metric, row["channel"]), {})[row["date"]] = (row[metric], None)
        for metric in ("spend", "attributed_revenue"):
            shop = values.setdefault((metric, "all"), {})
            before = shop.get(row["date"], (None, None))[0]
            if row[metric] is not None:
                shop[row["date"]] = ((before or 0) + row[metric], None)
    return values


def _sum(values) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def compute_target_tracking(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    landing = Path(landing)
    targets = _targets(landing)
    if not targets:
        return pl.DataFrame(schema=COLUMNS)
    last = kd.last_complete_day(landing)
    values = _daily_values(landing, tz, base_currency)
    forecast = compute_gmv_forecast(landing, tz, base_currency)
    forecast = {r["date"]: r["forecast"] for r in forecast.to_dicts() if r["forecast"] is not None}
    rows = []
    for t in targets:
        start = date.fromisoformat(t["month"] + "-01")
        days_in_month = calendar.monthrange(start.year, start.month)[1]
        end = start.replace(day=days_in_month)
        metric, channel = t["metric"], t["channel"] or "all"
        ratio, lower_better = metric in RATIOS, metric == "spend"
        if last is None or last < start:
            elapsed = 0
        else:
            elapsed = days_in_month if last >= end else last.day
        days = values.get((metric, channel), {})
        inside = [v for d, v in days.items() if start <= d <= min(end, last or start)]
        if elapsed == 0:
            actual = None
        elif ratio:
            numerator, denominator = _sum(n for n, _ in inside), _sum(d for _, d in inside)
            actual = numerator / denominator if numerator is not None and denominator else None
        elif metric == "gross_margin":
            actual = _sum(n for n, _ in inside)
        else:
            actual = _sum(n for n, _ in inside) or 0.0
        target = t["value"]
        expected = target if ratio else target * elapsed / days_in_month
        if ratio or actual is None:
            projected = actual
        else:
            projected = actual * days_in_month / elapsed
            remaining = days_in_month - elapsed
            if metric == "gmv" and remaining > 0:
                ahead = [forecast[d] for d in forecast if last < d <= end]
                if len(ahead) == remaining:
                    projected = actual + sum(ahead)
        rows.append(
            {
                "month": start,
                "metric": metric,
                "channel": channel,
                "target": target,
                "actual_to_date": actual,
                "days_elapsed": elapsed,
                "days_in_month": days_in_month,
                "expected_to_date": expected,
                "pace": None if actual is None or not expected else actual / expected,
                "projected": projected,
                "on_track": None
                if projected is None
                else (projected <= target if lower_better else projected >= target),
            }
        )
    return pl.DataFrame(rows, schema=COLUMNS).sort("month", "metric", "channel")
