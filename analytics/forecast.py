"""GMV forecast (kpis.md, "Forecast"): pure functions over a daily series, no I/O.

The model: ordinary least squares of daily gmv on an intercept, a linear trend (days) and six
day-of-week indicators (weekly seasonality; Monday is the baseline), fit on the last
`FIT_WEEKS_MAX` weeks of complete days at most (a straight trend over years would be wrong) and on
at least `MIN_HISTORY_WEEKS` whole weeks. One-off days (a promotion, an outage) would tilt the
trend and the weekday effects, so they are left out one at a time: while the day with the largest
residual is more than `OUTLIER_CUTOFF` robust standard deviations (1.4826 × the median absolute
deviation of the kept days' residuals) from the fit, refit without it (at most 10 % of the days).
Forecast: the 14 days after the last complete day, with the 80 % OLS prediction interval of the
final fit, ŷ ± t(0.90; n − 8) · s · sqrt(1 + x₀ᵀ(XᵀX)⁻¹x₀) over its n kept days. A lower bound
below 0 is cut to 0 (gmv cannot be negative).

Backtest: for each of the last 4 weeks, the model is fit on the days before that week (same
rules, so a week whose training data is shorter than 8 weeks is left out) and forecasts its 7
days; MAPE = mean of |forecast − actual| / actual over every forecast day with actual > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy.stats import t as student_t

MODEL = "ols_trend_weekday_trimmed"
MIN_HISTORY_WEEKS = 8
FIT_WEEKS_MAX = 13
HORIZON_DAYS = 14
INTERVAL = 0.80
BACKTEST_WEEKS = 4
OUTLIER_CUTOFF = 3.5  # robust z-score of a residual (the usual cut for MAD-based outliers)
MAX_LEFT_OUT_SHARE = 0.1  # at most this share of the fit window is left out as one-off days
MAD_TO_SD = 1.4826  # the MAD of normal data times this estimates its standard deviation

FORECAST_COLUMNS = ("date", "forecast", "lower", "upper", "model", "backtest_mape", "backtest_weeks")


@dataclass(frozen=True)
class Fit:
    first_day: date
    coef: np.ndarray  # intercept, trend, Tue..Sun
    xtx_inv: np.ndarray
    sigma: float
    dof: int
    left_out: int  # days of the window left out of the second fit as outliers


def insufficient_history(weeks: int) -> str:
    """The `model` value of the one row a too-short history gets: it says why there is no forecast."""
    return f"insufficient_history: {weeks} weeks of complete days, {MIN_HISTORY_WEEKS} needed"


def _design(first_day: date, days: list[date]) -> np.ndarray:
    x = np.zeros((len(days), 8))
    for i, day in enumerate(days):
        x[i, 0] = 1.0
        x[i, 1] = (day - first_day).days
        if day.weekday() > 0:
            x[i, 1 + day.weekday()] = 1.0
    return x


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xtx_inv = np.linalg.inv(x.T @ x)
    return xtx_inv @ x.T @ y, xtx_inv


def fit(days: list[date], values: list[float]) -> Fit:
    """Fit on consecutive days (the caller passes the fit window), leaving out one-off days.

    One day at a time: refit without the day with the largest residual while that residual is
    beyond OUTLIER_CUTOFF robust standard deviations of the kept days' residuals, for at most
    MAX_LEFT_OUT_SHARE of the days. (Dropping every flagged day at once would not do: a promotion
    day lifts its weekday's level, which makes the other days of that weekday look like outliers.)
    """
    x, y = _design(days[0], days), np.asarray(values, dtype=float)
    keep = np.ones(len(y), bool)
    tolerance = 1e-9 * max(1.0, float(np.abs(y).mean()))  # exact data: residuals of rounding size
    for _ in range(int(MAX_LEFT_OUT_SHARE * len(y))):
        coef, _ = _ols(x[keep], y[keep])
        residuals = np.where(keep, y - x @ coef, 0.0)
        kept = residuals[keep]
        scale = MAD_TO_SD * float(np.median(np.abs(kept - np.median(kept))))
        worst = int(np.argmax(np.abs(residuals)))
        if scale <= tolerance or abs(residuals[worst]) <= OUTLIER_CUTOFF * scale:
            break
        trial = keep.copy()
        trial[worst] = False
        if np.linalg.matrix_rank(x[trial]) < x.shape[1] or trial.sum() <= x.shape[1]:
            break  # every weekday must keep a day, and more days than coefficients must remain
        keep = trial
    coef, xtx_inv = _ols(x[keep], y[keep])
    residuals = y[keep] - x[keep] @ coef
    dof = int(keep.sum()) - x.shape[1]
    return Fit(days[0], coef, xtx_inv, float(np.sqrt(residuals @ residuals / dof)), dof, int((~keep).sum()))


def predict(model: Fit, days: list[date], interval: float = INTERVAL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point forecasts and prediction-interval bounds (lower cut at 0) for `days`."""
    x = _design(model.first_day, days)
    point = x @ model.coef
    spread = np.sqrt(1.0 + np.einsum("ij,jk,ik->i", x, model.xtx_inv, x))
    half = float(student_t.ppf((1 + interval) / 2, model.dof)) * model.sigma * spread
    return point, np.maximum(point - half, 0.0), point + half


def _fit_window(days: list[date], values: list[float]) -> tuple[list[date], list[float]] | None:
    """The last FIT_WEEKS_MAX weeks of the history, or None when it has fewer than 8 whole weeks."""
    if len(days) // 7 < MIN_HISTORY_WEEKS:
        return None
    keep = min(len(days), 7 * FIT_WEEKS_MAX)
    return days[-keep:], values[-keep:]


def backtest_mape(days: list[date], values: list[float]) -> tuple[float | None, int]:
    """(MAPE over the backtest weeks that could be fit, number of such weeks)."""
    errors, weeks = [], 0
    for k in range(BACKTEST_WEEKS, 0, -1):
        cut = len(days) - 7 * k
        window = _fit_window(days[:cut], values[:cut]) if cut > 0 else None
        if window is None:
            continue
        weeks += 1
        point, _, _ = predict(fit(*window), days[cut : cut + 7])
        for forecast, actual in zip(point, values[cut : cut + 7]):
            if actual > 0:
                errors.append(abs(forecast - actual) / actual)
    return (float(np.mean(errors)) if errors else None), weeks


def gmv_forecast(days: list[date], values: list[float]) -> list[dict]:
    """Rows of the gmv_forecast mart from the daily gmv of consecutive complete days (oldest
    first, the last one being the last complete day).

    With fewer than 8 whole weeks: one row, dated the day after the last complete day, with null
    forecast and bounds and `model` saying why. No history at all: no rows.
    """
    if not days:
        return []
    if any(b - a != timedelta(days=1) for a, b in zip(days, days[1:])):
        raise ValueError("the gmv history must be consecutive days")
    horizon = [days[-1] + timedelta(days=i) for i in range(1, HORIZON_DAYS + 1)]
    window = _fit_window(days, values)
    if window is None:
        return [
            dict(
                date=horizon[0],
                forecast=None,
                lower=None,
                upper=None,
                model=insufficient_history(len(days) // 7),
                backtest_mape=None,
                backtest_weeks=0,
            )
        ]
    point, lower, upper = predict(fit(*window), horizon)
    mape, weeks = backtest_mape(days, values)
    return [
        dict(
            date=day,
            forecast=float(p),
            lower=float(lo),
            upper=float(hi),
            model=MODEL,
            backtest_mape=mape,
            backtest_weeks=weeks,
        )
        for day, p, lo, hi in zip(horizon, point, lower, upper)
    ]
