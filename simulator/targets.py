"""plan/targets: monthly targets management sets a few days before each month (the months the
simulated range touches; the first month's targets arrive in the first batch), shop-level and a
few per channel, and one revision of a gmv target in the middle of a month (change capture).
Values are a plain run rate of the simulated shop raised by `TARGET_GROWTH`, in the base
currency (money) or fractions (ratios)."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

import numpy as np
import polars as pl

from simulator import params as P
from simulator.calendar import HOUR_MS, MINUTE_MS
from simulator.world import World

# (metric, channel, per day of the month in CNY or units for `small`, kind)
_RATE = (
    ("gmv", None, "gmv"),
    ("gross_revenue", None, "gross_revenue"),
    ("net_revenue", None, "net_revenue"),
    ("gross_margin", None, "gross_margin"),
    ("paid_orders", None, "paid_orders"),
    ("new_customers", None, "new_customers"),
    ("sessions", None, "sessions"),
    ("conversion_rate", None, "conversion_rate"),
    ("aov", None, "aov"),
    ("spend", None, "spend"),
    ("sessions", "paid_search", "sessions_paid_search"),
    ("spend", "paid_search", "spend_paid_search"),
    ("spend", "paid_social", "spend_paid_social"),
    ("attributed_revenue", "paid_search", "attributed_paid_search"),
    ("new_customers", "paid_social", "new_customers_paid_social"),
)
_MONEY = {"gmv", "gross_revenue", "net_revenue", "gross_margin", "aov", "spend", "attributed_revenue"}


def _months(first: date, last: date) -> list[date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


def target_rows(world: World, base_currency: str, rng: np.random.Generator) -> tuple[pl.DataFrame, dict]:
    """Every plan/targets row of the range (typed, value as text, with `_batch`) and the truths."""
    cal, scale = world.cal, world.scale
    fx = P.PRICE_LIST_FACTOR.get(base_currency, 1.0)  # CNY -> base, about
    sessions = P.SESSIONS_PER_DAY_SMALL * scale.factor
    orders = scale.orders_per_day * 0.93
    gmv = orders * P.TARGET_AOV_CNY
    per_day = {
        "gmv": gmv,
        "gross_revenue": gmv * 0.97,
        "net_revenue": gmv * 0.9,
        "gross_margin": gmv * 0.9 * 0.45,
        "paid_orders": orders,
        "new_customers": orders * 0.35,
        "sessions": sessions,
        "spend": gmv * 0.06,
        "sessions_paid_search": sessions * 0.12,
        "spend_paid_search": gmv * 0.06 * 0.45,
        "spend_paid_social": gmv * 0.06 * 0.3,
        "attributed_paid_search": gmv * 0.1,
        "new_customers_paid_social": orders * 0.35 * 0.08,
    }
    rows, finals, revised = [], {}, []
    last_day = cal.date(cal.days - 1)
    for m in _months(cal.date(0), last_day):
        days_in = _calendar.monthrange(m.year, m.month)[1]
        set_day = max(0, (m - cal.date(0)).days - P.TARGET_LEAD_DAYS)
        if set_day >= cal.days:
            continue
        for j, (metric, channel, kind) in enumerate(_RATE):
            noise = float(np.exp(rng.normal(0, 0.03)))
            if kind == "conversion_rate":
                value = round(orders / sessions * P.TARGET_GROWTH**0.5 * noise, 4)
            elif kind == "aov":
                value = round(P.TARGET_AOV_CNY * fx * noise, 2)
            else:
                growth = 1 / P.TARGET_GROWTH if metric == "spend" else P.TARGET_GROWTH
                raw = per_day[kind] * days_in * growth * noise * (fx if metric in _MONEY else 1.0)
                value = round(raw, 2) if metric in _MONEY else float(round(raw))
            ts = cal.midnight(set_day) + 10 * HOUR_MS + j * MINUTE_MS
            rows.append((m, metric, channel, value, ts, set_day))
            finals[(m, metric, channel)] = value
        # a revision of the month's gmv target on its 12th, when the range reaches it
        rev_day = (m.replace(day=12) - cal.date(0)).days
        if 0 < rev_day < cal.days and m != cal.date(0).replace(day=1):
            old = finals[(m, "gmv", None)]
            new = round(old * 1.05, 2)
            rows.append((m, "gmv", None, new, cal.midnight(rev_day) + 11 * HOUR_MS, rev_day))
            finals[(m, "gmv", None)] = new
            revised.append({"month": m.strftime("%Y-%m"), "metric": "gmv", "first": old, "final": new})
    df = pl.DataFrame(
        {
            "month": [r[0].strftime("%Y-%m") for r in rows],
            "metric": [r[1] for r in rows],
            "channel": pl.Series([r[2] for r in rows], dtype=pl.String),
            "value": [f"{r[3]:.4f}".rstrip("0").rstrip(".") for r in rows],
            "updated_at": pl.Series([r[4] for r in rows], dtype=pl.Int64),
            "_batch": pl.Series([r[5] for r in rows], dtype=pl.Int32),
        }
    )
    truths = {
        "months": sorted({k[0].strftime("%Y-%m") for k in finals}),
        "final": [
            {"month": k[0].strftime("%Y-%m"), "metric": k[1], "channel": k[2], "value": v}
            for k, v in sorted(finals.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))
        ],
        "revised": revised,
        "shop_level_metrics": sorted({k[1] for k in finals if k[2] is None}),
        "channel_targets": sorted({f"{k[1]}/{k[2]}" for k in finals if k[2] is not None}),
    }
    return df, truths
