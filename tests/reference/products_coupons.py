"""Reference `product_daily`, `product_health`, `coupon_performance` and `returns_daily`: an
independent computation straight from the landing files.

Plain polars, no DuckDB, no SQL, nothing imported from the pipeline. The landing files are read
with the readers of `reference.kpi_daily` (same typing, dedupe, latest state and fx rules); this
module only asks them for a few more fields. It follows `../shared/spec/kpis.md` ("Products and
after-sales", "Access paths and coupons") and the choices of docs/design.md ("Products and
coupons"), restated here so the reference can be read on its own:

- units and revenue: order items of paid orders (latest status in paid/shipped/delivered), by
  order date, revenue = quantity x unit_price - item discount at the order date's rate; items of
  orders that are not loaded are left out;
- product views: `product_view` events (deduplicated by event_id, first arrival wins) with a
  product_id, on the local date of the event; view_to_purchase_rate: sessions viewing the product
  that date with a paid order of the same session_id containing the product / sessions viewing it;
- refunds (latest status completed, of loaded orders, converted in their own currency at the
  order date): an item refund counts its quantity (none: every unit of the product on the order)
  and its amount for its product; a whole-order refund spreads its amount over the order's
  products by line revenue (by units when that is 0) and counts no units; refunds of orders
  without lines are not spread;
- product_daily rows: every (date, product) with units sold, a view or a completed refund;
  title = latest state; cogs and gross_margin (and product_health's gross_margin_30d) from
  reference.margin: lines of paid orders with a known unit cost, null when there are none;
- product_health: D = latest order date of any order; the window is D-29 .. D; return rate =
  item-refunded units / units sold over those order dates; slow mover = latest is_active, local
  launch date more than 30 days before D, no units in the window; rows: every product of the
  products feed plus any product sold or item-refunded in the window;
- coupon_performance: paid orders with a coupon code (trimmed, blank = none) per order date and
  code; refunded = at least one completed refund; no_coupon_aov over paid orders without a code;
- returns_daily: completed refunds (of loaded orders) per order date, category and reason; an item
  refund is in its product's latest category ('unknown' for a product the feed never sent) with
  its quantity (none: every unit of the product on the order); a refund without product_id is
  '(whole order)' with the units of all the order's lines and its whole amount; units_sold = units
  of paid orders' lines of the category that date (null for '(whole order)'); return_rate =
  refunded units / units_sold, null on 0 or null.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from tests.reference import fulfilment, margin
from tests.reference import kpi_daily as kd

PRODUCT_DAILY_COLUMNS = (
    "date",
    "product_id",
    "title",
    "category",
    "units_sold",
    "revenue",
    "cogs",
    "gross_margin",
    "product_views",
    "view_to_purchase_rate",
    "refunded_units",
    "refunded_amount",
)
PRODUCT_HEALTH_COLUMNS = (
    "product_id",
    "as_of_date",
    "title",
    "category",
    "units_30d",
    "revenue_30d",
    "gross_margin_30d",
    "return_rate_30d",
    "slow_mover",
    "on_hand",
    "days_of_cover",
    "stockout",
    "low_stock",
    "launched_date",
    "is_active",
)
COUPON_COLUMNS = ("date", "coupon_code", "orders", "revenue", "discount", "aov", "refund_share", "no_coupon_aov")
RETURNS_COLUMNS = (
    "date",
    "category",
    "reason",
    "refunds",
    "refunded_units",
    "refunded_amount",
    "units_sold",
    "return_rate",
)
WHOLE_ORDER, UNKNOWN_CATEGORY = "(whole order)", "unknown"

WINDOW_DAYS = 30
SLOW_MOVER_MIN_AGE_DAYS = 30

# The extra fields this computation reads, on top of those reference.kpi_daily reads.
EXTRA_FIELDS = {
    ("shop", "products"): {
        "product_id": "string",
        "category": "string",
        "launched_at": "timestamp",
        "is_active": "string",
        "updated_at": "timestamp",
    },
    ("shop", "order_items"): {"product_id": "string", "unit_price": "decimal", "discount_amount": "decimal"},
    ("shop", "orders"): {"session_id": "string", "coupon_code": "string"},
    ("shop", "refunds"): {"product_id": "string", "quantity": "int", "reason": "string"},
    ("traffic", "events"): {"product_id": "string"},
}


# What `_read` reads of each entity: reference.kpi_daily's fields plus EXTRA_FIELDS, built once.
FIELDS = kd.with_fields(EXTRA_FIELDS)


def _read(landing: Path, system: str, entity: str) -> pl.DataFrame | None:
    return kd.read_entity(landing, system, entity, FIELDS)


def _local_date(col: str, tz: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(tz).dt.date()


# --------------------------------------------------------------------------- shared inputs


class Shop:
    """The latest state of the shop's entities, read once and shared by the three marts."""

    def __init__(self, landing: Path, tz: str, base_currency: str):
        landing = Path(landing)
        self.tz = tz
        fx = _read(landing, "finance", "fx_rates")
        self.orders = self._orders(landing, tz, fx, base_currency)
        self.items = self._items(landing, fx, base_currency)
        self.refunds = self._refunds(landing, fx, base_currency)

        self.views = self._views(landing, tz)
        self.products = self._products(landing, tz)

    def _orders(self, landing: Path, tz: str, fx, base_currency: str) -> pl.DataFrame | None:
        """Latest state of every order, its order date, money in base currency; None without orders."""
        orders = _read(landing, "shop", "orders")
        if orders is None:
            return None
        orders = kd._latest(orders, ["order_id"], ["updated_at"]).with_columns(
            _local_date("created_at", tz).alias("order_date")
        )
        orders = kd._convert(orders, ["total_amount", "discount_amount"], "currency", "order_date", fx, base_currency)
        return orders.with_columns(
            pl.col("status").is_in(kd.PAID_STATUSES).alias("is_paid"),
            pl.col("coupon_code").str.strip_chars().replace("", None).alias("coupon"),
        )

    def _order_keys(self) -> pl.DataFrame:
        if self.orders is None:
            return pl.DataFrame(
                schema={
                    "order_id": pl.String,
                    "order_date": pl.Date,
                    "is_paid": pl.Boolean,
                    "session_id": pl.String,
                    "currency": pl.String,
                }
            )
        return self.orders.select("order_id", "order_date", "is_paid", "session_id", "currency")

    def _items(self, landing: Path, fx, base_currency: str) -> pl.DataFrame:
        """Order lines of loaded orders: line_revenue in the order's currency, revenue in base currency."""
        items = _read(landing, "shop", "order_items")
        if items is None or self.orders is None:
            return pl.DataFrame(
                schema={
                    "order_id": pl.String,
                    "product_id": pl.String,
                    "quantity": pl.Int64,
                    "line_revenue": pl.Float64,
                    "revenue": pl.Float64,
                    "order_date": pl.Date,
                    "is_paid": pl.Boolean,
                    "session_id": pl.String,
                }
            )
        items = kd._latest(items, ["order_id", "line_number"], []).join(self._order_keys(), on="order_id", how="inner")
        items = items.with_columns(
            (pl.col("quantity") * pl.col("unit_price") - pl.col("discount_amount")).alias("line_revenue")
        ).with_columns(pl.col("line_revenue").alias("revenue"))
        return kd._convert(items, ["revenue"], "currency", "order_date", fx, base_currency)

    def _refunds(self, landing: Path, fx, base_currency: str) -> pl.DataFrame | None:
        """Completed refunds (latest state) of loaded orders, amount in base currency at the order date."""
        refunds = _read(landing, "shop", "refunds")
        if refunds is None or self.orders is None:
            return None
        completed = (
            kd._latest(refunds, ["refund_id"], ["updated_at"])
            .filter(pl.col("status") == "completed")
            .join(self._order_keys().drop("currency", "session_id"), on="order_id", how="inner")
        )
        return kd._convert(completed, ["amount"], "currency", "order_date", fx, base_currency)

    @staticmethod
    def _views(landing: Path, tz: str) -> pl.DataFrame | None:
        """product_view events with a product (deduplicated by event_id), on their local date."""
        events = _read(landing, "traffic", "events")
        if events is None:
            return None
        return (
            kd._first(events, ["event_id"])
            .filter((pl.col("event_name") == "product_view") & pl.col("product_id").is_not_null())
            .with_columns(_local_date("event_ts", tz).alias("date"))
            .select("date", "product_id", "session_id")
        )

    @staticmethod
    def _products(landing: Path, tz: str) -> pl.DataFrame | None:
        """Latest state of every product: category, local launch date, is_active."""
        products = _read(landing, "shop", "products")
        if products is None:
            return None
        return kd._latest(products, ["product_id"], ["updated_at"]).select(
            "product_id",
            "category",
            _local_date("launched_at", tz).alias("launched_date"),
            (pl.col("is_active") == "true").alias("is_active"),
        )

    def product_refunds(self) -> pl.DataFrame:
        """Completed refunds per (refund, product): order_date, is_whole_order, units, amount."""
        schema = {
            "refund_id": pl.String,
            "product_id": pl.String,
            "order_date": pl.Date,
            "is_whole_order": pl.Boolean,
            "refunded_units": pl.Int64,
            "refunded_amount": pl.Float64,
        }
        if self.refunds is None:
            return pl.DataFrame(schema=schema)
        order_products = self.items.group_by("order_id", "product_id").agg(
            pl.col("quantity").sum().alias("units"), pl.col("line_revenue").sum()
        )
        # item refunds: their own product; no quantity = every unit of the product on the order
        item = (
            self.refunds.filter(pl.col("product_id").is_not_null())
            .join(order_products, on=["order_id", "product_id"], how="left")
            .select(
                "refund_id",
                "product_id",
                "order_date",
                pl.lit(False).alias("is_whole_order"),
                pl.coalesce("quantity", "units", pl.lit(0)).cast(pl.Int64).alias("refunded_units"),
                pl.col("amount").alias("refunded_amount"),
            )
        )
        # whole-order refunds: spread by line revenue (by units when the order's revenue is 0)
        shares = order_products.with_columns(
            pl.col("line_revenue").sum().over("order_id").alias("order_revenue"),
            pl.col("units").sum().over("order_id").alias("order_units"),
        ).with_columns(
            pl.when(pl.col("order_revenue") > 0)
            .then(pl.col("line_revenue") / pl.col("order_revenue"))
            .otherwise(pl.col("units") / pl.col("order_units"))
            .alias("share")
        )
        whole = (
            self.refunds.filter(pl.col("product_id").is_null())
            .drop("product_id")
            .join(shares, on="order_id", how="inner")
            .select(
                "refund_id",
                "product_id",
                "order_date",
                pl.lit(True).alias("is_whole_order"),
                pl.lit(0, dtype=pl.Int64).alias("refunded_units"),
                (pl.col("amount") * pl.col("share")).alias("refunded_amount"),
            )
        )
        return pl.concat([item.cast(schema), whole.cast(schema)])

    def as_of_date(self):
        if self.orders is None or self.orders.height == 0:
            return None
        return self.orders["order_date"].max()


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def _categories(shop: Shop) -> pl.DataFrame:
    if shop.products is None:
        return pl.DataFrame(schema={"product_id": pl.String, "category": pl.String})
    return shop.products.select("product_id", "category")


# --------------------------------------------------------------------------- product_daily


def compute_product_daily(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    shop = Shop(landing, tz, base_currency)
    keys = ["date", "product_id"]
    if shop.orders is None and shop.views is None:
        return _empty(PRODUCT_DAILY_COLUMNS)
    parts = []
    paid_items = pl.DataFrame(schema={"session_id": pl.String, "product_id": pl.String})
    if shop.orders is not None:
        paid = shop.items.filter("is_paid")
        paid_items = paid.filter(pl.col("session_id").is_not_null()).select("session_id", "product_id").unique()
        parts.append(
            paid.group_by(pl.col("order_date").alias("date"), "product_id").agg(
                pl.col("quantity").sum().alias("units_sold"), pl.col("revenue").sum()
            )
        )
        parts.append(
            shop.product_refunds()
            .group_by(pl.col("order_date").alias("date"), "product_id")
            .agg(pl.col("refunded_units").sum(), pl.col("refunded_amount").sum())
        )
    if shop.views is not None:
        sessions = shop.views.group_by("date", "product_id", "session_id").agg(pl.len().alias("views"))
        sessions = sessions.join(
            paid_items.with_columns(pl.lit(True).alias("purchased")), on=["session_id", "product_id"], how="left"
        )
        parts.append(
            sessions.group_by(keys).agg(
                pl.col("views").sum().alias("product_views"),
                pl.len().alias("viewing_sessions"),
                pl.col("purchased").fill_null(False).sum().alias("purchasing_sessions"),
            )
        )
    df = pl.concat([p.select(keys) for p in parts]).unique()
    for part in parts:
        df = df.join(part, on=keys, how="left")
    counts = (
        "units_sold",
        "revenue",
        "product_views",
        "viewing_sessions",
        "purchasing_sessions",
        "refunded_units",
        "refunded_amount",
    )
    df = df.with_columns(
        (pl.col(c).fill_null(0) if c in df.columns else pl.lit(0).alias(c)) for c in counts
    ).with_columns(_ratio("purchasing_sessions", "viewing_sessions").alias("view_to_purchase_rate"))
    df = df.join(_categories(shop), on="product_id", how="left")
    # title (latest state) and margin (reference.margin: costed lines of paid orders, else null)
    df = df.join(margin.product_titles(landing), on="product_id", how="left").join(
        margin.product_margin_daily(landing, tz, base_currency), on=keys, how="left"
    )
    ints = ("units_sold", "product_views", "refunded_units")
    return df.select(
        "date",
        "product_id",
        pl.col("title").cast(pl.String),
        pl.col("category").cast(pl.String),
        *[pl.col(c).cast(pl.Int64) if c in ints else pl.col(c).cast(pl.Float64) for c in PRODUCT_DAILY_COLUMNS[4:]],
    ).sort(keys)


# --------------------------------------------------------------------------- product_health


def compute_product_health(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    shop = Shop(landing, tz, base_currency)
    as_of = shop.as_of_date()
    if as_of is None:
        return _empty(PRODUCT_HEALTH_COLUMNS)
    start = as_of - timedelta(days=WINDOW_DAYS - 1)  # (D - 30 days, D]
    in_window = pl.col("order_date").is_between(start, as_of)
    sales = (
        shop.items.filter(pl.col("is_paid") & in_window)
        .group_by("product_id")
        .agg(pl.col("quantity").sum().alias("units_30d"), pl.col("revenue").sum().alias("revenue_30d"))
    )
    refunds = (
        shop.product_refunds()
        .filter(~pl.col("is_whole_order") & in_window)
        .group_by("product_id")
        .agg(pl.col("refunded_units").sum())
    )
    products = (
        shop.products
        if shop.products is not None
        else pl.DataFrame(
            schema={
                "product_id": pl.String,
                "category": pl.String,
                "launched_date": pl.Date,
                "is_active": pl.Boolean,
            }
        )
    )
    ids = pl.concat([products.select("product_id"), sales.select("product_id"), refunds.select("product_id")]).unique()
    df = (
        ids.join(products, on="product_id", how="left")
        .join(sales, on="product_id", how="left")
        .join(refunds, on="product_id", how="left")
        .with_columns(
            pl.col("units_30d").fill_null(0),
            pl.col("revenue_30d").fill_null(0.0),
            pl.col("refunded_units").fill_null(0),
            pl.col("is_active").fill_null(False),
            pl.lit(as_of).alias("as_of_date"),
        )
        .with_columns(
            _ratio("refunded_units", "units_30d").alias("return_rate_30d"),
            (
                pl.col("is_active")
                & ((pl.lit(as_of) - pl.col("launched_date")).dt.total_days() > SLOW_MOVER_MIN_AGE_DAYS).fill_null(False)
                & (pl.col("units_30d") == 0)
            ).alias("slow_mover"),
        )
    )
    df = df.join(margin.product_titles(landing), on="product_id", how="left").join(
        margin.product_margin_window(landing, start, as_of, tz, base_currency), on="product_id", how="left"
    )
    # the stock columns: the reference inventory_daily's row of D (tests/reference/fulfilment.py)
    df = df.join(fulfilment.stock_as_of(landing, as_of, tz, base_currency), on="product_id", how="left")
    return df.select(
        "product_id",
        "as_of_date",
        pl.col("title").cast(pl.String),
        pl.col("category").cast(pl.String),
        pl.col("units_30d").cast(pl.Int64),
        pl.col("revenue_30d").cast(pl.Float64),
        pl.col("gross_margin_30d").cast(pl.Float64),
        pl.col("return_rate_30d").cast(pl.Float64),
        "slow_mover",
        pl.col("on_hand").cast(pl.Int64),
        pl.col("days_of_cover").cast(pl.Float64),
        pl.col("stockout").cast(pl.Boolean),
        pl.col("low_stock").cast(pl.Boolean),
        "launched_date",
        "is_active",
    ).sort("product_id")


# --------------------------------------------------------------------------- coupon_performance


def compute_coupon_performance(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    shop = Shop(landing, tz, base_currency)
    if shop.orders is None:
        return _empty(COUPON_COLUMNS)
    refunded = (
        shop.refunds.select("order_id").unique().with_columns(pl.lit(True).alias("refunded"))
        if shop.refunds is not None
        else pl.DataFrame(schema={"order_id": pl.String, "refunded": pl.Boolean})
    )
    paid = (
        shop.orders.filter("is_paid")
        .join(refunded, on="order_id", how="left")
        .with_columns(pl.col("refunded").fill_null(False), pl.col("order_date").alias("date"))
    )
    coupons = (
        paid.filter(pl.col("coupon").is_not_null())
        .group_by("date", pl.col("coupon").alias("coupon_code"))
        .agg(
            pl.len().alias("orders"),
            pl.col("total_amount").sum().alias("revenue"),
            pl.col("discount_amount").sum().alias("discount"),
            pl.col("refunded").sum().alias("refunded_orders"),
        )
    )
    without = (
        paid.filter(pl.col("coupon").is_null())
        .group_by("date")
        .agg((pl.col("total_amount").sum() / pl.len()).alias("no_coupon_aov"))
    )
    df = coupons.join(without, on="date", how="left").with_columns(
        _ratio("revenue", "orders").alias("aov"),
        _ratio("refunded_orders", "orders").alias("refund_share"),
    )
    return df.select(
        "date",
        "coupon_code",
        pl.col("orders").cast(pl.Int64),
        *[pl.col(c).cast(pl.Float64) for c in COUPON_COLUMNS[3:]],
    ).sort("date", "coupon_code")


# --------------------------------------------------------------------------- returns_daily


def compute_returns_daily(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    shop = Shop(landing, tz, base_currency)
    if shop.refunds is None or shop.refunds.height == 0:
        return _empty(RETURNS_COLUMNS)
    categories = _categories(shop)
    order_products = shop.items.group_by("order_id", "product_id").agg(pl.col("quantity").sum().alias("product_units"))
    order_units = order_products.group_by("order_id").agg(pl.col("product_units").sum().alias("order_units"))
    whole = pl.col("product_id").is_null()
    refunds = (
        shop.refunds.join(categories, on="product_id", how="left")
        .join(order_products, on=["order_id", "product_id"], how="left")
        .join(order_units, on="order_id", how="left")
        .with_columns(
            pl.when(whole)
            .then(pl.lit(WHOLE_ORDER))
            .otherwise(pl.col("category").fill_null(UNKNOWN_CATEGORY))
            .alias("category"),
            pl.when(whole)
            .then(pl.col("order_units").fill_null(0))
            .otherwise(pl.coalesce("quantity", "product_units", pl.lit(0)))
            .alias("units"),
        )
    )
    grouped = refunds.group_by(pl.col("order_date").alias("date"), "category", "reason").agg(
        pl.len().alias("refunds"),
        pl.col("units").sum().alias("refunded_units"),
        pl.col("amount").sum().alias("refunded_amount"),
    )
    sales = (
        shop.items.filter("is_paid")
        .join(categories, on="product_id", how="left")
        .with_columns(pl.col("category").fill_null(UNKNOWN_CATEGORY))
        .group_by(pl.col("order_date").alias("date"), "category")
        .agg(pl.col("quantity").sum().alias("units_sold"))
    )
    df = (
        grouped.join(sales, on=["date", "category"], how="left")
        .with_columns(
            pl.when(pl.col("category") == WHOLE_ORDER)
            .then(None)
            .otherwise(pl.col("units_sold").fill_null(0))
            .alias("units_sold")
        )
        .with_columns(_ratio("refunded_units", "units_sold").alias("return_rate"))
    )
    return df.select(
        "date",
        pl.col("category").cast(pl.String),
        pl.col("reason").cast(pl.String),
        *[pl.col(c).cast(pl.Int64) for c in ("refunds", "refunded_units")],
        pl.col("refunded_amount").cast(pl.Float64),
        pl.col("units_sold").cast(pl.Int64),
        pl.col("return_rate").cast(pl.Float64),
    ).sort("date", "category", "reason")


def _empty(columns: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Float64 for c in columns})
