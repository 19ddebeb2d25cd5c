"""Reference margin and campaigns: an independent computation of the unit cost of every order
line, the margin columns of `kpi_daily`, `product_daily`, `product_health`, `channel_daily`, and
the whole `campaign_daily`, straight from the landing files.

Plain polars, no DuckDB, no SQL, nothing imported from the pipeline. The landing files are read
with the readers of `reference.kpi_daily` (typing, latest state, fx rules); sessions and their
channels come from `reference.channel_funnel`. It follows `../shared/spec/kpis.md` ("Orders and
revenue": line revenue, unit cost of a line, cogs, gross_margin, margin_rate, cost_coverage;
"Marketing": attributed_gross_margin, poas, campaign) and the choices in the marts' YAML:

- product versions: every products row is a version from its `updated_at` on; rows of one
  product with the same `updated_at` are one version, the later batch / file / line wins;
- unit cost of a line: the version with the greatest `updated_at` <= the order's `created_at`
  (instants), else the product's earliest version; its `unit_cost` in its own currency at the
  rate of the order date; null when that version has none or the product was never sent;
- cogs and gross margin sum the costed lines of paid orders and are null where there are none;
  margin_rate = gross margin / line revenue of the costed lines; cost_coverage = line revenue of
  the costed lines / line revenue of all lines of paid orders (null on a zero denominator);
- campaign of a session: `utm_campaign` of its first event (earliest `event_ts`, ties by
  `event_id`), trimmed, `(none)` when null or blank; a spend row's own campaign, trimmed; orders
  without a known session: `direct` / `(none)`; a campaign_daily row for every (date, channel,
  campaign) with a session start, an attributed paid order or a spend row.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.reference import channel_funnel as cf
from tests.reference import kpi_daily as kd

NONE_CAMPAIGN = "(none)"
KPI_MARGIN_COLUMNS = ("date", "cogs", "gross_margin", "margin_rate", "cost_coverage")
CAMPAIGN_COLUMNS = (
    "date",
    "channel",
    "campaign",
    "spend",
    "impressions",
    "clicks",
    "sessions",
    "attributed_orders",
    "attributed_revenue",
    "attributed_gross_margin",
    "roas",
    "poas",
    "new_customers",
    "cac",
)

EXTRA_FIELDS = {
    ("shop", "products"): {
        "product_id": "string",
        "title": "string",
        "category": "string",
        "unit_cost": "decimal",
        "currency": "string",
        "updated_at": "timestamp",
    },
    ("shop", "order_items"): {"product_id": "string", "unit_price": "decimal", "discount_amount": "decimal"},
    ("shop", "orders"): {"session_id": "string"},
    ("traffic", "events"): {"utm_campaign": "string"},
    ("marketing", "spend"): {
        "date": "date",
        "channel": "string",
        "campaign": "string",
        "impressions": "int",
        "clicks": "int",
        "spend": "decimal",
        "currency": "string",
    },
}
FIELDS = kd.with_fields(EXTRA_FIELDS)


def _read(landing: Path, system: str, entity: str) -> pl.DataFrame | None:
    return kd.read_entity(Path(landing), system, entity, FIELDS)


def sum_or_null(name: str) -> pl.Expr:
    """Σ of a column, null when every value is null (polars' sum would give 0)."""
    return pl.when(pl.col(name).is_not_null().any()).then(pl.col(name).sum()).otherwise(None)


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) != 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def _campaign(col: pl.Expr) -> pl.Expr:
    trimmed = col.str.strip_chars()
    return pl.when(trimmed.is_null() | (trimmed == "")).then(pl.lit(NONE_CAMPAIGN)).otherwise(trimmed)


# --------------------------------------------------------------------------- lines and their cost

LINE_SCHEMA = {
    "order_id": pl.String,
    "line_number": pl.Int64,
    "product_id": pl.String,
    "quantity": pl.Int64,
    "order_date": pl.Date,
    "is_paid": pl.Boolean,
    "session_id": pl.String,
    "line_revenue": pl.Float64,
    "unit_cost": pl.Float64,
    "has_cost": pl.Boolean,
    "cost": pl.Float64,
    "margin": pl.Float64,
}


def product_versions(landing: Path) -> pl.DataFrame | None:
    """Every version of every product (one per product and updated_at), oldest first."""
    products = _read(landing, "shop", "products")
    if products is None:
        return None
    return kd._latest(products, ["product_id", "updated_at"], []).sort("product_id", "updated_at")


def product_titles(landing: Path) -> pl.DataFrame:
    """Latest title of every product of the feed."""
    versions = product_versions(landing)
    if versions is None:
        return pl.DataFrame(schema={"product_id": pl.String, "title": pl.String})
    return kd._latest(versions, ["product_id"], ["updated_at"]).select("product_id", "title")


def order_lines(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    """Every line of a loaded order with its line revenue and unit cost in base currency."""
    landing = Path(landing)
    orders = _read(landing, "shop", "orders")
    items = _read(landing, "shop", "order_items")
    if orders is None or items is None:
        return pl.DataFrame(schema=LINE_SCHEMA)
    fx = _read(landing, "finance", "fx_rates")
    orders = kd._latest(orders, ["order_id"], ["updated_at"]).select(
        "order_id",
        "created_at",
        "currency",
        "session_id",
        pl.col("created_at").dt.convert_time_zone(tz).dt.date().alias("order_date"),
        pl.col("status").is_in(kd.PAID_STATUSES).alias("is_paid"),
    )
    lines = (
        kd._latest(items, ["order_id", "line_number"], [])
        .join(orders, on="order_id", how="inner")
        .with_columns((pl.col("quantity") * pl.col("unit_price") - pl.col("discount_amount")).alias("line_revenue"))
    )
    lines = kd._convert(lines, ["line_revenue"], "currency", "order_date", fx, base_currency).drop("currency")

    # the version in effect at created_at: the latest one written at or before it, else the earliest
    versions = product_versions(landing)
    if versions is None:
        versions = pl.DataFrame(
            schema={"product_id": pl.String, "updated_at": pl.Datetime("us", "UTC"), "unit_cost": pl.Float64}
        ).with_columns(pl.lit(None, dtype=pl.String).alias("currency"))
    versions = versions.select("product_id", "updated_at", "unit_cost", pl.col("currency").alias("cost_currency"))
    earliest = versions.group_by("product_id").agg(pl.all().sort_by("updated_at").first())
    lines = lines.with_row_index("_line_row")
    in_effect = (
        lines.select("_line_row", "product_id", "created_at")
        .sort("created_at")
        .join_asof(
            versions.sort("updated_at"),
            left_on="created_at",
            right_on="updated_at",
            by="product_id",
            strategy="backward",
            check_sortedness=False,
        )
    )
    before_any = in_effect.filter(pl.col("updated_at").is_null()).select("_line_row", "product_id")
    before_any = before_any.join(earliest, on="product_id", how="left")
    chosen = pl.concat(
        [
            in_effect.filter(pl.col("updated_at").is_not_null()).select("_line_row", "unit_cost", "cost_currency"),
            before_any.select("_line_row", "unit_cost", "cost_currency"),
        ]
    )
    lines = lines.join(chosen, on="_line_row", how="left")
    costed = lines.filter(pl.col("unit_cost").is_not_null())
    costed = kd._convert(costed, ["unit_cost"], "cost_currency", "order_date", fx, base_currency)
    lines = pl.concat([costed, lines.filter(pl.col("unit_cost").is_null())], how="vertical_relaxed")
    lines = lines.with_columns(
        pl.col("unit_cost").is_not_null().alias("has_cost"),
        (pl.col("quantity") * pl.col("unit_cost")).alias("cost"),
    ).with_columns((pl.col("line_revenue") - pl.col("cost")).alias("margin"))
    return lines.select(list(LINE_SCHEMA)).cast(LINE_SCHEMA).sort("order_id", "line_number")


def _paid_lines(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.filter("is_paid").with_columns(
        pl.when("has_cost").then(pl.col("line_revenue")).otherwise(0.0).alias("costed_revenue")
    )


# --------------------------------------------------------------------------- kpi_daily


def compute_kpi_margin(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    """cogs, gross_margin, margin_rate, cost_coverage per order date with a paid line (every
    other date of kpi_daily has them null)."""
    lines = _paid_lines(order_lines(landing, tz, base_currency))
    df = lines.group_by(pl.col("order_date").alias("date")).agg(
        sum_or_null("cost").alias("cogs"),
        sum_or_null("margin").alias("gross_margin"),
        pl.col("costed_revenue").sum(),
        pl.col("line_revenue").sum(),
    )
    return df.select(
        "date",
        "cogs",
        "gross_margin",
        _ratio("gross_margin", "costed_revenue").alias("margin_rate"),
        _ratio("costed_revenue", "line_revenue").alias("cost_coverage"),
    ).sort("date")


# --------------------------------------------------------------------------- products


def product_margin_daily(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    """cogs and gross_margin per (order date, product) over paid lines; null without a costed line."""
    lines = _paid_lines(order_lines(landing, tz, base_currency))
    return lines.group_by(pl.col("order_date").alias("date"), "product_id").agg(
        sum_or_null("cost").alias("cogs"), sum_or_null("margin").alias("gross_margin")
    )


def product_margin_window(
    landing: Path, start, end, tz: str = "Asia/Shanghai", base_currency: str = "CNY"
) -> pl.DataFrame:
    """gross margin per product over paid lines of order dates start..end (inclusive)."""
    lines = _paid_lines(order_lines(landing, tz, base_currency)).filter(pl.col("order_date").is_between(start, end))
    return lines.group_by("product_id").agg(sum_or_null("margin").alias("gross_margin_30d"))


# --------------------------------------------------------------------------- attribution


def order_margins(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    """Gross margin of every paid order (its costed lines; null when none is costed)."""
    lines = _paid_lines(order_lines(landing, tz, base_currency))
    return lines.group_by("order_id").agg(sum_or_null("margin").alias("gross_margin"))


def session_campaigns(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame:
    """session_id, date, channel and campaign of every session."""
    found = cf._sessions(Path(landing), tz)
    schema = {"session_id": pl.String, "date": pl.Date, "channel": pl.String, "campaign": pl.String}
    if found is None:
        return pl.DataFrame(schema=schema)
    _, sessions = found
    events = kd._first(_read(landing, "traffic", "events"), ["event_id"])
    first = (
        events.sort("event_ts", "event_id")
        .group_by("session_id", maintain_order=True)
        .agg(pl.col("utm_campaign").first())
        .select("session_id", _campaign(pl.col("utm_campaign")).alias("campaign"))
    )
    return sessions.select("session_id", "date", "channel").join(first, on="session_id", how="left").cast(schema)


def compute_campaign_daily(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    landing = Path(landing)
    keys = ["date", "channel", "campaign"]
    fx = _read(landing, "finance", "fx_rates")
    sessions = session_campaigns(landing, tz)
    parts = [sessions.group_by(keys).agg(pl.len().alias("sessions"))]

    orders = _read(landing, "shop", "orders")
    if orders is not None:
        orders = kd._latest(orders, ["order_id"], ["updated_at"]).with_columns(
            pl.col("created_at").dt.convert_time_zone(tz).dt.date().alias("date")
        )
        orders = kd._convert(orders, ["total_amount"], "currency", "date", fx, base_currency)
        paid = (
            orders.filter(pl.col("status").is_in(kd.PAID_STATUSES))
            .join(sessions.select("session_id", "channel", "campaign"), on="session_id", how="left")
            .with_columns(pl.col("channel").fill_null("direct"), pl.col("campaign").fill_null(NONE_CAMPAIGN))
            .join(order_margins(landing, tz, base_currency), on="order_id", how="left")
        )
        parts.append(
            paid.group_by(keys).agg(
                pl.len().alias("attributed_orders"),
                pl.col("total_amount").sum().alias("attributed_revenue"),
                sum_or_null("gross_margin").alias("attributed_gross_margin"),
            )
        )
        first_paid = paid.sort("created_at", "order_id").unique(subset=["customer_id"], keep="first")
        parts.append(first_paid.group_by(keys).agg(pl.len().alias("new_customers")))

    spend = _read(landing, "marketing", "spend")
    if spend is not None:
        spend = kd._latest(
            spend.with_columns(pl.col("channel").str.strip_chars().str.to_lowercase()),
            ["date", "channel", "campaign"],
            [],
        )
        spend = kd._convert(spend, ["spend"], "currency", "date", fx, base_currency).with_columns(
            _campaign(pl.col("campaign")).alias("campaign")
        )
        parts.append(
            spend.group_by(keys).agg(pl.col("spend").sum(), pl.col("impressions").sum(), pl.col("clicks").sum())
        )

    df = pl.concat([p.select(keys) for p in parts]).unique()
    if df.height == 0:
        return pl.DataFrame(schema={c: pl.Float64 for c in CAMPAIGN_COLUMNS})
    for part in parts:
        df = df.join(part, on=keys, how="left")
    counts = ("spend", "impressions", "clicks", "sessions", "attributed_orders", "attributed_revenue", "new_customers")
    df = df.with_columns((pl.col(c).fill_null(0) if c in df.columns else pl.lit(0).alias(c)) for c in counts)
    if "attributed_gross_margin" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias("attributed_gross_margin"))
    df = df.with_columns(
        _ratio("attributed_revenue", "spend").alias("roas"),
        _ratio("attributed_gross_margin", "spend").alias("poas"),
        _ratio("spend", "new_customers").alias("cac"),
    )
    ints = ("impressions", "clicks", "sessions", "attributed_orders", "new_customers")
    return df.select(
        *keys,
        *[pl.col(c).cast(pl.Int64) if c in ints else pl.col(c).cast(pl.Float64) for c in CAMPAIGN_COLUMNS[3:]],
    ).sort(keys)
