"""Reference fulfilment and inventory: an independent computation of `fulfilment_daily`,
`inventory_daily`, the stock columns of `product_health` and the `stockout` alerts, straight
from the landing files.

Plain polars, no DuckDB, no SQL, nothing imported from the pipeline. The landing files are read
with the readers of `reference.kpi_daily`. It follows `../shared/spec/kpis.md` ("Fulfilment and
delivery", "Inventory", the `stockout` rule of "Risk early warning") and the choices in the
marts' YAML:

- order versions: every orders row is a version; rows of one order with the same `updated_at`
  are one version (the later batch / file / line wins); paid_at / shipped_at / delivered_at are
  the earliest `updated_at` of the versions in {paid, shipped, delivered} / {shipped, delivered} /
  {delivered}; carrier, ship_country and the promise come from the latest version having them;
- hours are whole seconds / 3600; percentiles linear (polars' "linear" interpolation);
- inventory: the latest batch / file / line per (date, product_id, warehouse_id), summed per
  (date, product); units sold are items of paid orders (latest status) by order date (local date
  of created_at); active = `is_active` of the last product version written on or before D
  (local date), else the first version; threshold 7 days unless `thresholds` says otherwise;
- stockout alert: revenue of D − 28 .. D − 1 of the products that sold, top 20 % = fewer than
  20 % of them sold more (high: 5 %).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from tests.reference import kpi_daily as kd

FULFILMENT_COLUMNS = (
    "date",
    "ship_country",
    "carrier",
    "paid_orders",
    "shipped_orders",
    "delivered_orders",
    "handling_p50_hours",
    "handling_p90_hours",
    "transit_p50_hours",
    "transit_p90_hours",
    "on_time_rate",
    "late_delivery_refunds",
    "on_time_deliveries",
    "promised_deliveries",
)
INVENTORY_COLUMNS = (
    "date",
    "product_id",
    "title",
    "category",
    "on_hand",
    "inbound",
    "units_28d_avg",
    "days_of_cover",
    "stockout",
    "low_stock",
)
STOCK_COLUMNS = ("on_hand", "days_of_cover", "stockout", "low_stock")
DEFAULT_THRESHOLD_DAYS = 7.0
PAID = ("paid", "shipped", "delivered")
SHIPPED = ("shipped", "delivered")
EXTRA_FIELDS = {
    ("shop", "orders"): {"carrier": "string", "promised_delivery_date": "date"},
    ("shop", "order_items"): {"product_id": "string", "unit_price": "decimal", "discount_amount": "decimal"},
    ("shop", "refunds"): {"reason": "string"},
    ("shop", "products"): {
        "product_id": "string",
        "title": "string",
        "category": "string",
        "is_active": "string",
        "updated_at": "timestamp",
    },
    ("shop", "inventory"): {
        "date": "date",
        "product_id": "string",
        "warehouse_id": "string",
        "on_hand": "int",
        "inbound": "int",
    },
}
FIELDS = kd.with_fields(EXTRA_FIELDS)


def _read(landing: Path, system: str, entity: str) -> pl.DataFrame | None:
    return kd.read_entity(Path(landing), system, entity, FIELDS)


def _local_date(col: str, tz: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(tz).dt.date()


def _empty(columns: tuple[str, ...], types: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema={c: types.get(c, pl.Float64) for c in columns})


# --------------------------------------------------------------------------- fulfilment


def order_fulfilment(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame | None:
    """One row per order ever paid: paid/shipped/delivered instants, carrier, country, promise."""
    versions = _read(landing, "shop", "orders")
    if versions is None:
        return None
    versions = kd._latest(versions, ["order_id", "updated_at"], []).with_columns(
        pl.col("carrier").str.strip_chars().replace("", None),
        pl.col("ship_country").str.to_uppercase(),
    )
    ordered = versions.sort(["updated_at", *kd.ORDER_OF_ARRIVAL])
    events = ordered.group_by("order_id").agg(
        pl.col("updated_at").filter(pl.col("status").is_in(PAID)).min().alias("paid_at"),
        pl.col("updated_at").filter(pl.col("status").is_in(SHIPPED)).min().alias("shipped_at"),
        pl.col("updated_at").filter(pl.col("status") == "delivered").min().alias("delivered_at"),
        pl.col("carrier").drop_nulls().last().alias("carrier"),
        pl.col("ship_country").drop_nulls().last().alias("ship_country"),
        pl.col("promised_delivery_date").drop_nulls().last().alias("promise"),
    )
    hours = 3_600_000_000  # microseconds
    return events.filter(pl.col("paid_at").is_not_null()).with_columns(
        _local_date("paid_at", tz).alias("date"),
        pl.col("carrier").fill_null("unknown"),
        ((pl.col("shipped_at") - pl.col("paid_at")).dt.total_seconds() * 1_000_000 / hours).alias("handling"),
        ((pl.col("delivered_at") - pl.col("shipped_at")).dt.total_seconds() * 1_000_000 / hours).alias("transit"),
        (_local_date("delivered_at", tz) <= pl.col("promise")).alias("on_time"),
    )


def compute_fulfilment_daily(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame:
    types = {"date": pl.Date, "ship_country": pl.String, "carrier": pl.String}
    counts = ("paid_orders", "shipped_orders", "delivered_orders", "late_delivery_refunds")
    types |= {c: pl.Int64 for c in (*counts, "on_time_deliveries", "promised_deliveries")}
    orders = order_fulfilment(landing, tz)
    if orders is None or orders.height == 0:
        return _empty(FULFILMENT_COLUMNS, types)
    refunds = _read(landing, "shop", "refunds")
    if refunds is not None:
        late = (
            kd._latest(refunds, ["refund_id"], ["updated_at"])
            .filter((pl.col("status") == "completed") & (pl.col("reason") == "late_delivery"))
            .group_by("order_id")
            .agg(pl.len().cast(pl.Int64).alias("late_refunds"))
        )
        orders = orders.join(late, on="order_id", how="left")
    else:
        orders = orders.with_columns(pl.lit(None, pl.Int64).alias("late_refunds"))
    promised = pl.col("on_time").is_not_null()
    df = orders.group_by("date", "ship_country", "carrier").agg(
        pl.len().alias("paid_orders"),
        pl.col("shipped_at").is_not_null().sum().alias("shipped_orders"),
        pl.col("delivered_at").is_not_null().sum().alias("delivered_orders"),
        pl.col("handling").quantile(0.5, "linear").alias("handling_p50_hours"),
        pl.col("handling").quantile(0.9, "linear").alias("handling_p90_hours"),
        pl.col("transit").quantile(0.5, "linear").alias("transit_p50_hours"),
        pl.col("transit").quantile(0.9, "linear").alias("transit_p90_hours"),
        pl.col("on_time").filter(promised).sum().alias("on_time_deliveries"),
        promised.sum().alias("promised_deliveries"),
        pl.col("late_refunds").sum().alias("late_delivery_refunds"),
    )
    df = df.with_columns(
        pl.when(pl.col("promised_deliveries") > 0)
        .then(pl.col("on_time_deliveries") / pl.col("promised_deliveries"))
        .alias("on_time_rate")
    )
    return df.select(pl.col(c).cast(types.get(c, pl.Float64)) for c in FULFILMENT_COLUMNS).sort(
        "date", "ship_country", "carrier"
    )


# --------------------------------------------------------------------------- inventory


def _paid_items(landing: Path, tz: str, base_currency: str) -> pl.DataFrame:
    """Lines of paid orders (latest status): order date, product, quantity, revenue in base currency."""
    schema = {"order_date": pl.Date, "product_id": pl.String, "quantity": pl.Int64, "revenue": pl.Float64}
    orders, items = _read(landing, "shop", "orders"), _read(landing, "shop", "order_items")
    if orders is None or items is None:
        return pl.DataFrame(schema=schema)
    latest = kd._latest(orders, ["order_id"], ["updated_at"]).with_columns(
        _local_date("created_at", tz).alias("order_date")
    )
    paid = latest.filter(pl.col("status").is_in(PAID)).select("order_id", "order_date", "currency")
    lines = kd._latest(items, ["order_id", "line_number"], []).join(paid, on="order_id", how="inner")
    lines = lines.with_columns((pl.col("quantity") * pl.col("unit_price") - pl.col("discount_amount")).alias("revenue"))
    fx = _read(landing, "finance", "fx_rates")
    lines = kd._convert(lines, ["revenue"], "currency", "order_date", fx, base_currency)
    return lines.select(list(schema)).cast(schema)


def _active_at_end(landing: Path, tz: str, days: pl.DataFrame) -> pl.DataFrame:
    """(date, product_id, is_active) of the product version in effect at the end of each day."""
    products = _read(landing, "shop", "products")
    if products is None:
        return days.with_columns(pl.lit(False).alias("is_active"))
    versions = kd._latest(products, ["product_id", "updated_at"], []).with_columns(
        _local_date("updated_at", tz).alias("from_day"),
        (pl.col("is_active").str.to_lowercase() == "true").fill_null(False).alias("is_active"),
    )
    first = versions.sort("updated_at").group_by("product_id").first().select("product_id", "is_active")
    last_by_day = (
        versions.sort("updated_at")
        .group_by("product_id", "from_day")
        .last()
        .select("product_id", "from_day", "is_active")
    )
    rows = days.select("date", "product_id").iter_rows()
    out = []
    by_product = {pid: g.sort("from_day") for (pid,), g in last_by_day.group_by("product_id")}
    first_active = dict(first.iter_rows())
    for day, pid in rows:
        g = by_product.get(pid)
        if g is None:
            out.append((day, pid, False))
            continue
        before = g.filter(pl.col("from_day") <= day)
        active = before["is_active"][-1] if before.height else first_active[pid]
        out.append((day, pid, bool(active)))
    return pl.DataFrame(out, schema={"date": pl.Date, "product_id": pl.String, "is_active": pl.Boolean}, orient="row")


def compute_inventory_daily(
    landing: Path,
    tz: str = "Asia/Shanghai",
    base_currency: str = "CNY",
    thresholds: dict[str, float] | None = None,
) -> pl.DataFrame:
    types = {
        "date": pl.Date,
        "product_id": pl.String,
        "title": pl.String,
        "category": pl.String,
        "on_hand": pl.Int64,
        "inbound": pl.Int64,
        "stockout": pl.Boolean,
        "low_stock": pl.Boolean,
    }
    snapshots = _read(landing, "shop", "inventory")
    if snapshots is None:
        return _empty(INVENTORY_COLUMNS, types)
    stock = (
        kd._latest(snapshots, ["date", "product_id", "warehouse_id"], [])
        .group_by("date", "product_id")
        .agg(
            pl.col("on_hand").sum(),
            pl.when(pl.col("inbound").is_not_null().any()).then(pl.col("inbound").sum()).alias("inbound"),
        )
    )
    daily = (
        _paid_items(landing, tz, base_currency)
        .group_by("order_date", "product_id")
        .agg(pl.col("quantity").sum().alias("units"))
    )
    units = {}
    for (pid,), g in daily.group_by("product_id"):
        units[pid] = list(g.select("order_date", "units").iter_rows())
    stock = stock.with_columns(
        pl.struct("date", "product_id")
        .map_elements(
            lambda r: sum(
                u for d, u in units.get(r["product_id"], []) if r["date"] - timedelta(days=27) <= d <= r["date"]
            ),
            return_dtype=pl.Int64,
        )
        .alias("units_28d")
    )
    products = _read(landing, "shop", "products")
    if products is not None:
        latest = kd._latest(products, ["product_id"], ["updated_at"]).select("product_id", "title", "category")
    else:
        latest = pl.DataFrame(schema={"product_id": pl.String, "title": pl.String, "category": pl.String})
    limits = {"*": DEFAULT_THRESHOLD_DAYS, **(thresholds or {})}
    df = (
        stock.join(latest, on="product_id", how="left")
        .join(_active_at_end(landing, tz, stock), on=["date", "product_id"], how="left")
        .with_columns(
            (pl.col("units_28d") / 28.0).alias("units_28d_avg"),
            pl.col("category")
            .map_elements(lambda c: limits.get(c, limits["*"]), return_dtype=pl.Float64)
            .fill_null(limits["*"])
            .alias("threshold"),
        )
        .with_columns(
            pl.when(pl.col("units_28d_avg") > 0)
            .then(pl.col("on_hand") / pl.col("units_28d_avg"))
            .alias("days_of_cover")
        )
        .with_columns(
            (pl.col("is_active") & (pl.col("on_hand") == 0)).alias("stockout"),
            (pl.col("is_active") & (pl.col("days_of_cover") < pl.col("threshold"))).fill_null(False).alias("low_stock"),
        )
    )
    return df.select(pl.col(c).cast(types.get(c, pl.Float64)) for c in INVENTORY_COLUMNS).sort("date", "product_id")


def stock_as_of(landing: Path, as_of: date, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    """product_health's stock columns: inventory_daily's row of `as_of` per product."""
    inv = compute_inventory_daily(landing, tz, base_currency)
    return inv.filter(pl.col("date") == as_of).select("product_id", *STOCK_COLUMNS)


def compute_stockout_alerts(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    """(alert_date, entity, severity, metric_value, threshold) of the `stockout` rule."""
    schema = {
        "alert_date": pl.Date,
        "entity": pl.String,
        "severity": pl.String,
        "metric_value": pl.Float64,
        "threshold": pl.Float64,
    }
    inv = compute_inventory_daily(landing, tz, base_currency)
    revenue = _paid_items(landing, tz, base_currency).group_by("order_date", "product_id").agg(pl.col("revenue").sum())
    rows = []
    for day in inv.filter(pl.col("on_hand") == 0)["date"].unique().sort():
        window = revenue.filter(pl.col("order_date").is_between(day - timedelta(days=28), day - timedelta(days=1)))
        totals = window.group_by("product_id").agg(pl.col("revenue").sum()).filter(pl.col("revenue") > 0)
        n = totals.height
        values = dict(totals.iter_rows())
        out = inv.filter((pl.col("date") == day) & (pl.col("on_hand") == 0))["product_id"]
        top = [pid for pid, v in values.items() if sum(1 for w in values.values() if w > v) < 0.2 * n]
        floor = min((values[p] for p in top), default=None)
        for pid in out:
            if pid not in top:
                continue
            better = sum(1 for w in values.values() if w > values[pid])
            rows.append((day, pid, "high" if better < 0.05 * n else "medium", values[pid], floor))
    return pl.DataFrame(rows, schema=schema, orient="row").sort("alert_date", "entity")
