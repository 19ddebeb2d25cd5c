"""Reference `experiment_results`, `risk_alerts` and `gmv_forecast`: an independent computation from
the landing files.

Plain polars, numpy and scipy over the files; nothing imported from the pipeline (no dbt tables,
no `analytics.stats` / `analytics.forecast`). The landing files are read with the readers of
`reference.kpi_daily` (same typing, dedupe, latest state and fx rules), and kpi_daily's gmv,
sessions and conversion_rate come from `reference.kpi_daily.compute_kpi_daily`. It follows
kpis.md ("Experiments", "Forecast", "Risk early warning") and the choices written in
transform/models/marts/risk_alerts.yml, _python_marts.yml and docs/analytics.md. Where the
pipeline has a formula, this module takes another route to the same number:

- the pooled z-test p-value is the p-value of the 2x2 chi-square test without continuity
  correction (`scipy.stats.chi2_contingency`; chi2 = z²), the SRM test is `scipy.stats.chisquare`;
- the forecast's OLS uses seven weekday intercepts plus a trend (no global intercept) solved with
  `numpy.linalg.lstsq`, the one-off-day cut with numpy percentiles, and the interval variance from a
  QR decomposition;
- kpi_anomaly's trend-and-weekday fit is `numpy.linalg.lstsq` on a dummy design (the pipeline
  uses the closed form of the within-weekday slope in SQL);
- the 60-minute windows, trailing medians and standard deviations are computed row by row in
  Python; service_sla's breach rate comes from `reference.service_paths.ticket_metrics`.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median, stdev

import numpy as np
import polars as pl
from scipy import stats as sps

from tests.reference import kpi_daily as kd
from tests.reference import service_paths
from tests.reference.fulfilment import compute_stockout_alerts

EXPERIMENT_COLUMNS = (
    "experiment_id",
    "variant",
    "exposed",
    "converted",
    "conversion",
    "lift",
    "p_value",
    "ci_low",
    "ci_high",
    "srm_flag",
    "srm_p_value",
    "excluded_users",
)
RISK_COLUMNS = (
    "alert_date",
    "alert_type",
    "severity",
    "entity_type",
    "entity",
    "metric_value",
    "threshold",
)
FORECAST_COLUMNS = ("date", "forecast", "lower", "upper", "model", "backtest_mape", "backtest_weeks")

EXTRA_FIELDS = {
    ("traffic", "events"): {"experiment_id": "string", "variant": "string"},
    ("shop", "orders"): {"device_id": "string", "ip_address": "string"},
    ("shop", "payments"): {
        "payment_id": "string",
        "order_id": "string",
        "status": "string",
        "created_at": "timestamp",
        "updated_at": "timestamp",
    },
}


# What `_read` reads of each entity: reference.kpi_daily's fields plus EXTRA_FIELDS, built once.
FIELDS = kd.with_fields(EXTRA_FIELDS)


def _read(landing: Path, system: str, entity: str) -> pl.DataFrame | None:
    return kd.read_entity(Path(landing), system, entity, FIELDS)


def keyed_hash(key: str, value: str | None) -> str | None:
    """docs/design.md, "Personal data": sha256(key || ':' || value) as lower-case hex."""
    return None if value is None else hashlib.sha256(f"{key}:{value}".encode()).hexdigest()


# --------------------------------------------------------------------------- experiments


def compute_experiment_results(landing: Path) -> pl.DataFrame:
    events = _read(landing, "traffic", "events")
    if events is None:
        return pl.DataFrame(schema={c: pl.Null for c in EXPERIMENT_COLUMNS})
    events = events.sort(kd.ORDER_OF_ARRIVAL).unique(subset=["event_id"], keep="first", maintain_order=True)
    exposures = events.filter(pl.col("experiment_id").is_not_null() & pl.col("variant").is_not_null())
    purchases: dict[str, list[datetime]] = {}
    for visitor, ts in events.filter(pl.col("event_name") == "purchase").select("anonymous_id", "event_ts").iter_rows():
        purchases.setdefault(visitor, []).append(ts)

    # experiment -> visitor -> {variant: first exposure}
    seen: dict[str, dict[str, dict[str, datetime]]] = {}
    for experiment, visitor, variant, ts in exposures.select(
        "experiment_id", "anonymous_id", "variant", "event_ts"
    ).iter_rows():
        first = seen.setdefault(experiment, {}).setdefault(visitor, {})
        first[variant] = min(ts, first.get(variant, ts))

    rows = []
    for experiment in sorted(seen):
        variants = sorted({v for firsts in seen[experiment].values() for v in firsts})
        tally = {v: {"exposed": 0, "converted": 0, "excluded": 0} for v in variants}
        for visitor, firsts in seen[experiment].items():
            if len(firsts) > 1:
                for v in firsts:
                    tally[v]["excluded"] += 1
                continue
            ((variant, first),) = firsts.items()
            tally[variant]["exposed"] += 1
            tally[variant]["converted"] += any(ts >= first for ts in purchases.get(visitor, []))
        counts = [tally[v]["exposed"] for v in variants]
        srm_p = float(sps.chisquare(counts).pvalue) if len(variants) > 1 and sum(counts) else None
        control = tally.get("control")
        for v in variants:
            n, x = tally[v]["exposed"], tally[v]["converted"]
            conversion = x / n if n else None
            lift = p_value = ci_low = ci_high = None
            if control is not None and v != "control":
                nc, xc = control["exposed"], control["converted"]
                if n and nc:
                    pc = xc / nc
                    lift = conversion / pc - 1 if pc else None
                    table = np.array([[x, n - x], [xc, nc - xc]])
                    if table.sum(axis=0).min() > 0:  # both outcomes occur: the test is defined
                        p_value = float(sps.chi2_contingency(table, correction=False)[1])
                    half = sps.norm.ppf(0.975) * math.sqrt(conversion * (1 - conversion) / n + pc * (1 - pc) / nc)
                    ci_low, ci_high = conversion - pc - half, conversion - pc + half
            rows.append(
                {
                    "experiment_id": experiment,
                    "variant": v,
                    "exposed": n,
                    "converted": x,
                    "conversion": conversion,
                    "lift": lift,
                    "p_value": p_value,
                    "ci_low": ci_low,
                    "ci_high": ci_high,
                    "srm_flag": None if srm_p is None else srm_p < 0.001,
                    "srm_p_value": srm_p,
                    "excluded_users": tally[v]["excluded"],
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "experiment_id": pl.String,
            "variant": pl.String,
            "exposed": pl.Int64,
            "converted": pl.Int64,
            "conversion": pl.Float64,
            "lift": pl.Float64,
            "p_value": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "srm_flag": pl.Boolean,
            "srm_p_value": pl.Float64,
            "excluded_users": pl.Int64,
        },
    )


# --------------------------------------------------------------------------- risk alerts


def _severity(value: float, medium: float, high: float) -> str:
    return "high" if value >= high else "medium" if value >= medium else "low"


def _orders(landing: Path, tz: str, base_currency: str) -> pl.DataFrame:
    orders = _read(landing, "shop", "orders")
    orders = kd._latest(orders, ["order_id"], ["updated_at"]).with_columns(
        pl.col("created_at").dt.convert_time_zone(tz).dt.date().alias("order_date")
    )
    fx = _read(landing, "finance", "fx_rates")
    orders = kd._convert(orders, ["total_amount"], "currency", "order_date", fx, base_currency)
    return orders.with_columns(pl.col("status").is_in(kd.PAID_STATUSES).alias("is_paid"))


def _velocity(orders: pl.DataFrame, key: str, tz: str, hash_key: str) -> list[dict]:
    alerts: dict[tuple[str, date], int] = {}
    by_entity: dict[str, list[datetime]] = {}
    for value, created in orders.drop_nulls(key).select(key, "created_at").iter_rows():
        by_entity.setdefault(value, []).append(created)
    for value, times in by_entity.items():
        for t in times:
            n = sum(1 for s in times if t - timedelta(minutes=60) <= s <= t)
            if n >= 5:
                day = t.astimezone(_zone(tz)).date()
                alerts[(value, day)] = max(n, alerts.get((value, day), 0))
    entity_type = "device" if key == "device_id" else "ip_address"
    return [
        dict(
            alert_date=day,
            alert_type="order_velocity",
            severity=_severity(n, 7, 10),
            entity_type=entity_type,
            entity=keyed_hash(hash_key, value),
            metric_value=float(n),
            threshold=5.0,
        )
        for (value, day), n in alerts.items()
    ]


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _outliers(orders: pl.DataFrame) -> list[dict]:
    paid = orders.filter("is_paid").select("order_id", "order_date", "total_amount").rows()
    out = []
    for order_id, day, total in paid:
        trailing = [t for _, d, t in paid if day - timedelta(days=30) <= d < day]
        if not trailing or median(trailing) <= 0:
            continue
        m = median(trailing)
        if total > 10 * m:
            out.append(
                dict(
                    alert_date=day,
                    alert_type="amount_outlier",
                    severity=_severity(total / m, 20, 50),
                    entity_type="order",
                    entity=order_id,
                    metric_value=total,
                    threshold=10 * m,
                )
            )
    return out


def _refund_abuse(landing: Path, orders: pl.DataFrame, tz: str, hash_key: str) -> list[dict]:
    refunds = _read(landing, "shop", "refunds")
    if refunds is None:
        return []
    completed = kd._latest(refunds, ["refund_id"], ["updated_at"]).filter(pl.col("status") == "completed")
    refunded_on: dict[str, date] = {}
    for order_id, updated in completed.select("order_id", "updated_at").iter_rows():
        day = updated.astimezone(_zone(tz)).date()
        refunded_on[order_id] = min(day, refunded_on.get(order_id, day))
    paid = orders.filter("is_paid").select("customer_id", "order_id", "order_date").rows()
    per_customer: dict[str, list[tuple[date, date | None]]] = {}
    for customer, order_id, day in paid:
        per_customer.setdefault(customer, []).append((day, refunded_on.get(order_id)))
    out = []
    for customer, mine in per_customer.items():
        if not any(r for _, r in mine):
            continue
        check_days = sorted({d for d, _ in mine} | {r for _, r in mine if r})
        last_met = None
        for day in check_days:
            window = [(d, r) for d, r in mine if day - timedelta(days=90) < d <= day]
            refunded = sum(1 for _, r in window if r is not None and r <= day)
            if len(window) >= 3 and refunded / len(window) > 0.5:
                if last_met is None or (day - last_met).days >= 90:
                    share = refunded / len(window)
                    out.append(
                        dict(
                            alert_date=day,
                            alert_type="refund_abuse",
                            severity=_severity(share, 0.7, 0.9),
                            entity_type="customer",
                            entity=keyed_hash(hash_key, customer),
                            metric_value=share,
                            threshold=0.5,
                        )
                    )
                last_met = day
    return out


def _payment_failures(landing: Path, tz: str) -> list[dict]:
    payments = _read(landing, "shop", "payments")
    if payments is None:
        return []
    latest = kd._latest(payments, ["payment_id"], ["updated_at"]).with_columns(
        pl.col("created_at").dt.convert_time_zone(tz).dt.date().alias("day")
    )
    days = {
        day: (attempts, failed)
        for day, attempts, failed in latest.group_by("day").agg(pl.len(), (pl.col("status") == "failed").sum()).rows()
    }
    share = {day: failed / attempts for day, (attempts, failed) in days.items()}
    out = []
    for day, value in share.items():
        trailing = [share[d] for d in share if day - timedelta(days=28) <= d < day]
        if len(trailing) < 7:
            continue
        mean, sd = sum(trailing) / len(trailing), stdev(trailing)
        # 3 sd above the usual share, and more than 5 failed attempts above what it predicts
        threshold = max(mean + 3 * sd, mean + 5 / days[day][0])
        if value > threshold:
            severity = "high" if sd == 0 else _severity((value - mean) / sd, 4.5, 6)
            out.append(
                dict(
                    alert_date=day,
                    alert_type="payment_failures",
                    severity=severity,
                    entity_type="kpi",
                    entity="failed_payment_share",
                    metric_value=value,
                    threshold=threshold,
                )
            )
    return out


def anomaly_fit(history: dict[date, float], day: date) -> tuple[float, float] | None:
    """kpis.md's kpi_anomaly fit for `day` from the values of the 56 days before it: the prediction
    of log(value) on `day` and the residual scale s, or None when the day is not evaluated.

    Least squares by `numpy.linalg.lstsq` on a design of seven weekday dummies and the day number
    (no closed form), on the days with a positive value; every weekday needs 4 such days; one
    refit without the days whose |residual| > 3 x max(0.01, 1.4826 x median |residual|)."""
    days = [day - timedelta(days=k) for k in range(56, 0, -1)]
    used = [d for d in days if history.get(d) is not None and history[d] > 0]
    if any(sum(1 for d in used if d.weekday() == w) < 4 for w in range(7)):
        return None

    def design(ds: list[date]) -> np.ndarray:
        return np.array([[float(d.weekday() == w) for w in range(7)] + [float((d - day).days)] for d in ds])

    def scale(residual: np.ndarray) -> float:
        return max(0.01, 1.4826 * float(np.median(np.abs(residual))))

    y = np.log([history[d] for d in used])
    x = design(used)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    keep = np.abs(residual) <= 3 * scale(residual)
    if not any(d.weekday() == day.weekday() for d, k in zip(used, keep) if k):
        return None
    # a weekday with no day left has no intercept: drop its column (rank stays full)
    columns = [w for w in range(7) if any(d.weekday() == w for d, k in zip(used, keep) if k)] + [7]
    xk = x[keep][:, columns]
    coef, *_ = np.linalg.lstsq(xk, y[keep], rcond=None)
    prediction = float(design([day])[0][columns] @ coef)
    return prediction, scale(y[keep] - xk @ coef)


KPI_LABELS = {"gmv": "GMV", "sessions": "Sessions", "conversion_rate": "Conversion rate"}


def kpi_anomaly_alerts(kpis: pl.DataFrame) -> list[dict]:
    out = []
    if not kpis.height:
        return out
    first = kpis["date"].min()
    for kpi in ("gmv", "sessions", "conversion_rate"):
        values = {d: (None if v is None else float(v)) for d, v in kpis.select("date", kpi).rows()}
        for day, value in values.items():
            if value is None or (day - first).days < 56:
                continue
            fit = anomaly_fit(values, day)
            if fit is None:
                continue
            prediction, s = fit
            expected = math.exp(prediction)
            change = value / expected - 1
            scales = abs(math.log(value) - prediction) / s if value > 0 else math.inf
            if scales > 4.5 and abs(change) >= 0.1:
                if change > 0:
                    bound = max(math.exp(prediction + 4.5 * s), 1.1 * expected)
                else:
                    bound = min(math.exp(prediction - 4.5 * s), 0.9 * expected)
                out.append(
                    dict(
                        alert_date=day,
                        alert_type="kpi_anomaly",
                        severity=_severity(scales, 6, 9),
                        entity_type="kpi",
                        entity=kpi,
                        metric_value=value,
                        threshold=bound,
                    )
                )
    return out


def _trailing_days(values: dict[date, float], day: date, n: int = 28) -> list[float]:
    return [v for d, v in values.items() if day - timedelta(days=n) <= d < day and v is not None]


def _service_sla(landing: Path, tz: str) -> list[dict]:
    tickets = service_paths.ticket_metrics(landing, tz)
    if tickets is None:
        return []
    judged = tickets.filter(pl.col("sla_breached").is_not_null())
    rate = dict(judged.group_by("date").agg(pl.col("sla_breached").cast(pl.Float64).mean()).rows())
    out = []
    for day, value in rate.items():
        trailing = _trailing_days(rate, day)
        if len(trailing) < 7:
            continue
        mean, sd = sum(trailing) / len(trailing), stdev(trailing)
        bound = max(mean + 3 * sd, mean + 0.05)
        if value > bound:
            out.append(
                dict(
                    alert_date=day,
                    alert_type="service_sla",
                    severity="high" if sd == 0 else _severity((value - mean) / sd, 4.5, 6),
                    entity_type="kpi",
                    entity="sla_breach_rate",
                    metric_value=value,
                    threshold=bound,
                )
            )
    return out


def _page_load(kpis: pl.DataFrame) -> list[dict]:
    p90 = {d: float(v) for d, v in kpis.select("date", "page_load_p90_ms").rows() if v is not None}
    out = []
    for day, value in p90.items():
        trailing = _trailing_days(p90, day)
        if len(trailing) < 7:
            continue
        m = float(np.median(trailing))
        if m > 0 and value > 1.5 * m:
            out.append(
                dict(
                    alert_date=day,
                    alert_type="page_load",
                    severity=_severity(value / m, 2, 3),
                    entity_type="kpi",
                    entity="page_load_p90_ms",
                    metric_value=value,
                    threshold=1.5 * m,
                )
            )
    return out


def _stockouts(landing: Path, tz: str, base_currency: str) -> list[dict]:
    """The `stockout` rule, computed by the inventory reference (reference/fulfilment.py)."""
    alerts = compute_stockout_alerts(landing, tz, base_currency)
    return [{**row, "alert_type": "stockout", "entity_type": "product"} for row in alerts.iter_rows(named=True)]


def compute_risk_alerts(
    landing: Path, hash_key: str, tz: str = "Asia/Shanghai", base_currency: str = "CNY"
) -> pl.DataFrame:
    landing = Path(landing)
    orders = _orders(landing, tz, base_currency)
    kpis = kd.compute_kpi_daily(landing, tz, base_currency)
    rows = (
        _velocity(orders, "device_id", tz, hash_key)
        + _velocity(orders, "ip_address", tz, hash_key)
        + _outliers(orders)
        + _refund_abuse(landing, orders, tz, hash_key)
        + _payment_failures(landing, tz)
        + kpi_anomaly_alerts(kpis)
        + _service_sla(landing, tz)
        + _page_load(kpis)
        + _stockouts(landing, tz, base_currency)
    )
    schema = {
        "alert_date": pl.Date,
        "alert_type": pl.String,
        "severity": pl.String,
        "entity_type": pl.String,
        "entity": pl.String,
        "metric_value": pl.Float64,
        "threshold": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema).sort("alert_type", "alert_date", "entity_type", "entity")


# --------------------------------------------------------------------------- forecast


def last_complete_day(landing: Path, kpis: pl.DataFrame) -> date | None:
    """The latest `dt=` batch day of shop/orders, never after kpi_daily's last date."""
    folder = Path(landing) / "shop" / "orders"
    batches = sorted(date.fromisoformat(p.name[3:]) for p in folder.glob("dt=*")) if folder.is_dir() else []
    last_kpi = kpis["date"].max() if kpis.height else None
    if last_kpi is None:
        return None
    return min(last_kpi, batches[-1]) if batches else last_kpi


def _weekday_design(t0: date, days: list[date]) -> np.ndarray:
    return np.array([[1.0 if d.weekday() == w else 0.0 for w in range(7)] + [(d - t0).days] for d in days])


def _ols(days: list[date], values: list[float]):
    """Seven weekday intercepts + a trend (days since the first day), least squares, leaving out
    one day at a time the day with the largest residual while it is beyond 3.5 x 1.4826 x the MAD
    of the kept residuals (at most 10 % of the days; every weekday keeps a day)."""
    t0, y_all = days[0], np.asarray(values, dtype=float)
    x_all = _weekday_design(t0, days)
    kept = list(range(len(days)))
    for _ in range(int(0.1 * len(days))):
        coef, *_ = np.linalg.lstsq(x_all[kept], y_all[kept], rcond=None)
        residual = y_all[kept] - x_all[kept] @ coef
        spread = 1.4826 * float(np.percentile(np.abs(residual - np.percentile(residual, 50)), 50))
        worst = int(np.argmax(np.abs(residual)))
        if spread <= 1e-9 * max(1.0, float(np.mean(np.abs(y_all)))) or abs(residual[worst]) <= 3.5 * spread:
            break
        trial = kept[:worst] + kept[worst + 1 :]
        if len(trial) <= 8 or len({days[i].weekday() for i in trial}) < 7:
            break
        kept = trial
    x, y = x_all[kept], y_all[kept]
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    dof = len(y) - 8
    _, r = np.linalg.qr(x)
    r_inv = np.linalg.inv(r)  # (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ
    return t0, coef, math.sqrt(float(residual @ residual) / dof), dof, r_inv


def _predict(model, days: list[date]):
    t0, coef, sigma, dof, r_inv = model
    x = _weekday_design(t0, days)
    point = x @ coef
    leverage = np.sum((x @ r_inv) ** 2, axis=1)  # x (XᵀX)⁻¹ xᵀ = |x R⁻¹|²
    half = sps.t.ppf(0.9, dof) * sigma * np.sqrt(1 + leverage)
    return point, np.maximum(point - half, 0), point + half


def _window(days, values):
    if len(days) // 7 < 8:
        return None
    keep = min(len(days), 91)
    return days[-keep:], values[-keep:]


def compute_gmv_forecast(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    kpis = kd.compute_kpi_daily(Path(landing), tz, base_currency)
    schema = {
        "date": pl.Date,
        "forecast": pl.Float64,
        "lower": pl.Float64,
        "upper": pl.Float64,
        "model": pl.String,
        "backtest_mape": pl.Float64,
        "backtest_weeks": pl.Int64,
    }
    last = last_complete_day(landing, kpis)
    if last is None:
        return pl.DataFrame(schema=schema)
    history = kpis.filter((pl.col("date") <= last) & pl.col("gmv").is_not_null()).sort("date")
    days, values = history["date"].to_list(), [float(v) for v in history["gmv"].to_list()]
    if not days:
        return pl.DataFrame(schema=schema)
    horizon = [days[-1] + timedelta(days=i) for i in range(1, 15)]
    window = _window(days, values)
    if window is None:
        weeks = len(days) // 7
        return pl.DataFrame(
            [
                dict(
                    date=horizon[0],
                    forecast=None,
                    lower=None,
                    upper=None,
                    model=f"insufficient_history: {weeks} weeks of complete days, 8 needed",
                    backtest_mape=None,
                    backtest_weeks=0,
                )
            ],
            schema=schema,
        )
    errors, weeks = [], 0
    for k in (4, 3, 2, 1):
        cut = len(days) - 7 * k
        fold = _window(days[:cut], values[:cut]) if cut > 0 else None
        if fold is None:
            continue
        weeks += 1
        point, _, _ = _predict(_ols(*fold), days[cut : cut + 7])
        errors += [abs(f - a) / a for f, a in zip(point, values[cut : cut + 7]) if a > 0]
    mape = sum(errors) / len(errors) if errors else None
    point, lower, upper = _predict(_ols(*window), horizon)
    return pl.DataFrame(
        [
            dict(
                date=d,
                forecast=float(p),
                lower=float(lo),
                upper=float(hi),
                model="ols_trend_weekday_trimmed",
                backtest_mape=mape,
                backtest_weeks=weeks,
            )
            for d, p, lo, hi in zip(horizon, point, lower, upper)
        ],
        schema=schema,
    )
