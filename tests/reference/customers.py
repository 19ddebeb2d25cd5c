"""Reference `customer_rfm` and `cohort_retention`: an independent computation from the landing files.

Plain polars (and plain Python for the scores, segments and month arithmetic), no DuckDB, no SQL,
nothing imported from the pipeline. Orders are read with the readers of `reference.kpi_daily`
(same typing, latest state and fx rules). It follows `../shared/spec/kpis.md` ("Customers") and the
choices written in the marts' YAML:

- paid order = latest status in {paid, shipped, delivered}; order date = local date of created_at;
  gross revenue = total_amount in the base currency at the rate of the order date;
- as-of date D = the last complete day: the latest `dt=` folder of any entity with a record
  (`reference.kpi_daily.last_complete_day`);
- RFM (second edition) over paid orders with D - 365 days < order date <= D; one row per customer
  with such an order; monetary rounded to 4 decimals before it is ranked; for R and M
  percent_rank = (rank - 1) / (n - 1) with the lowest rank for ties (0 for a lone customer),
  ordered worst to best, score = min(5, 1 + floor(5 * percent_rank)); F on fixed counts (1, 2,
  3, 4-5, >= 6 -> 1..5); segment rules in kpis.md order, first match wins;
- age_band from the customer's latest birth_year at D (D's year - birth_year), country and
  region of the latest version (greatest updated_at, then batch, file, line); a customer
  missing from shop/customers: `unknown`, null, null;
- customer_key = sha256(hash_key + ':' + customer_id), lower-case hex;
- cohort = calendar month of the first paid order (earliest created_at, ties by order_id);
  rows for every month offset from 0 to the month of the latest order date (any status); active
  = distinct customers of the cohort with a paid order in that month; revenue = their paid
  orders' total_amount in base currency (rounded to 4 decimals per month); the curve = running
  sum / cohort size; complete = the month's last day <= D.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from tests.reference import kpi_daily as kd

RFM_COLUMNS = (
    "customer_key",
    "as_of_date",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "age_band",
    "country",
    "region",
)
COHORT_COLUMNS = (
    "cohort_month",
    "month_offset",
    "cohort_size",
    "active_customers",
    "retention",
    "revenue",
    "cumulative_revenue_per_customer",
    "is_complete",
)
CUSTOMER_FIELDS = kd.with_fields(
    {
        ("shop", "customers"): {
            "customer_id": "string",
            "birth_year": "int",
            "country": "string",
            "region": "string",
            "updated_at": "timestamp",
        }
    }
)
WINDOW_DAYS = 365


def customer_key(customer_id: str, hash_key: str) -> str:
    """The project's keyed hash of a customer id (docs/design.md, "Personal data")."""
    return hashlib.sha256(f"{hash_key}:{customer_id}".encode()).hexdigest()


def quintile_score(percent_rank: float) -> int:
    """kpis.md: score = least(5, 1 + floor(5 × percent_rank))."""
    return min(5, 1 + math.floor(5 * percent_rank))


def percent_ranks(values: list, better) -> list[float]:
    """percent_rank of each value among `values`, ordered worst to best; ties share the lowest
    rank. `better(a, b)` is True when a is strictly better than b. Written out by hand (rank =
    1 + number of strictly worse values), O(n²), fine for test-sized data."""
    n = len(values)
    if n <= 1:
        return [0.0] * n
    return [sum(1 for w in values if better(v, w)) / (n - 1) for v in values]


def frequency_score(orders: int) -> int:
    """kpis.md (second edition): F on fixed counts, 1 -> 1, 2 -> 2, 3 -> 3, 4-5 -> 4, >= 6 -> 5."""
    return {1: 1, 2: 2, 3: 3, 4: 4, 5: 4}.get(orders, 5)


def segment(r: int, f: int, m: int) -> str:
    """kpis.md segment rules (second edition), in their order; the first that matches wins."""
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal"
    if r <= 2 and f >= 2:
        return "at_risk"
    if f == 1 and r >= 4:
        return "new"
    if r <= 2 and f == 1:
        return "hibernating"
    return "potential"


def age_band(birth_year: int | None, on: date) -> str:
    """kpis.md age_band; the age is the year of `on` minus the birth year."""
    if birth_year is None:
        return "unknown"
    age = on.year - birth_year
    for upper, band in ((25, "<25"), (35, "25-34"), (45, "35-44"), (55, "45-54")):
        if age < upper:
            return band
    return "55+"


def _customers(landing: Path) -> dict[str, dict]:
    """{customer_id: latest version} of shop/customers."""
    rows = kd.read_entity(Path(landing), "shop", "customers", CUSTOMER_FIELDS)
    if rows is None:
        return {}
    latest = kd._latest(rows, ["customer_id"], ["updated_at"])
    return {r["customer_id"]: r for r in latest.iter_rows(named=True)}


def _orders(landing: Path, tz: str, base_currency: str) -> pl.DataFrame:
    """Every order in its latest state with order_date, is_paid and total_amount in base currency."""
    orders = kd.read_entity(Path(landing), "shop", "orders")
    if orders is None:
        return pl.DataFrame(
            schema={
                "order_id": pl.String,
                "customer_id": pl.String,
                "created_at": pl.Datetime("us", "UTC"),
                "order_date": pl.Date,
                "is_paid": pl.Boolean,
                "total_amount": pl.Float64,
            }
        )
    orders = kd._latest(orders, ["order_id"], ["updated_at"]).with_columns(
        pl.col("created_at").dt.convert_time_zone(tz).dt.date().alias("order_date")
    )
    fx = kd.read_entity(Path(landing), "finance", "fx_rates")
    orders = kd._convert(orders, ["total_amount"], "currency", "order_date", fx, base_currency)
    return orders.with_columns(pl.col("status").is_in(kd.PAID_STATUSES).alias("is_paid")).select(
        "order_id", "customer_id", "created_at", "order_date", "is_paid", "total_amount"
    )


def compute_customer_rfm(
    landing: Path, hash_key: str, tz: str = "Asia/Shanghai", base_currency: str = "CNY"
) -> pl.DataFrame:
    orders = _orders(landing, tz, base_currency)
    schema = {
        "customer_key": pl.String,
        "as_of_date": pl.Date,
        "recency_days": pl.Int64,
        "frequency": pl.Int64,
        "monetary": pl.Float64,
        "r_score": pl.Int64,
        "f_score": pl.Int64,
        "m_score": pl.Int64,
        "segment": pl.String,
        "age_band": pl.String,
        "country": pl.String,
        "region": pl.String,
    }
    as_of = kd.last_complete_day(landing)
    if orders.height == 0 or as_of is None:
        return pl.DataFrame(schema=schema)
    window_start = as_of - timedelta(days=WINDOW_DAYS)  # excluded
    in_window = orders.filter(
        pl.col("is_paid") & (pl.col("order_date") > window_start) & (pl.col("order_date") <= as_of)
    )
    customers = (
        in_window.group_by("customer_id")
        .agg(
            pl.col("order_date").max().alias("last_paid_date"),
            pl.len().alias("frequency"),
            pl.col("total_amount").sum().round(4).alias("monetary"),
        )
        .sort("customer_id")
    )
    ids = customers["customer_id"].to_list()
    recency = [(as_of - d).days for d in customers["last_paid_date"].to_list()]
    frequency = customers["frequency"].to_list()
    monetary = customers["monetary"].to_list()
    people = _customers(landing)
    # worst to best: recency worst = most days; monetary worst = lowest
    r = [quintile_score(p) for p in percent_ranks(recency, lambda a, b: a < b)]
    f = [frequency_score(n) for n in frequency]
    m = [quintile_score(p) for p in percent_ranks(monetary, lambda a, b: a > b)]
    return pl.DataFrame(
        {
            "customer_key": [customer_key(c, hash_key) for c in ids],
            "as_of_date": [as_of] * len(ids),
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "segment": [segment(*scores) for scores in zip(r, f, m)],
            "age_band": [age_band(people.get(c, {}).get("birth_year"), as_of) for c in ids],
            "country": [_upper(people.get(c, {}).get("country")) for c in ids],
            "region": [people.get(c, {}).get("region") for c in ids],
        },
        schema=schema,
    ).sort("customer_key")


def _upper(text: str | None) -> str | None:
    return text.strip().upper() if text is not None else None


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_of_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def compute_cohort_retention(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    orders = _orders(landing, tz, base_currency)
    schema = {
        "cohort_month": pl.Date,
        "month_offset": pl.Int64,
        "cohort_size": pl.Int64,
        "active_customers": pl.Int64,
        "retention": pl.Float64,
        "revenue": pl.Float64,
        "cumulative_revenue_per_customer": pl.Float64,
        "is_complete": pl.Boolean,
    }
    paid = orders.filter("is_paid")
    if paid.height == 0:
        return pl.DataFrame(schema=schema)
    last_month = _month_index(orders["order_date"].max())
    cohort_of: dict[str, int] = {}
    for row in paid.sort("created_at", "order_id").iter_rows(named=True):
        cohort_of.setdefault(row["customer_id"], _month_index(row["order_date"]))
    active: dict[tuple[int, int], set[str]] = {}
    revenue: dict[tuple[int, int], float] = {}
    for customer, day, amount in paid.select("customer_id", "order_date", "total_amount").iter_rows():
        cohort = cohort_of[customer]
        key = (cohort, _month_index(day) - cohort)
        active.setdefault(key, set()).add(customer)
        revenue[key] = revenue.get(key, 0.0) + amount
    last_day = kd.last_complete_day(landing)
    sizes: dict[int, int] = {}
    for cohort in cohort_of.values():
        sizes[cohort] = sizes.get(cohort, 0) + 1
    rows = []
    for cohort, size in sorted(sizes.items()):
        cumulative = 0.0
        for k in range(0, last_month - cohort + 1):
            n = len(active.get((cohort, k), ()))
            month_revenue = round(revenue.get((cohort, k), 0.0), 4)
            cumulative += month_revenue
            month_end = _month_of_index(cohort + k + 1) - timedelta(days=1)
            complete = last_day is not None and month_end <= last_day
            rows.append((_month_of_index(cohort), k, size, n, n / size, month_revenue, cumulative / size, complete))
    return pl.DataFrame(rows, schema=schema, orient="row")
