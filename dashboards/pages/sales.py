"""Page 3, Sales & products: the products' cards, GMV and net revenue with the forecast, best
sellers, slow movers, returns by product and reason, coupons, cross-border share. Filter:
category (product_daily, returns_daily, product_health)."""

from __future__ import annotations

from dashboards.pages.common import cards, kpi_table, line, measure, page_filter, table
from dashboards.queries import Reader

FILE, TITLE = "sales.html", "Sales & products"

# A product without a category is filed under this name, so the filter can offer it
NO_CATEGORY = "(none)"
PRODUCT_SQL = f"""
SELECT date, coalesce(p.category, '{NO_CATEGORY}') AS category, sum(p.revenue) AS revenue,
       sum(p.units_sold) AS units_sold, sum(p.gross_margin) AS gross_margin,
       sum(p.gross_margin + p.cogs) AS costed_revenue, sum(p.refunded_units) AS refunded_units,
       sum(p.product_views) AS product_views,
       -- 1 on a day whose refunds are not all in yet (kpi_daily.is_final false)
       max(CASE WHEN k.is_final THEN 0 ELSE 1 END) AS provisional
FROM marts.product_daily p LEFT JOIN marts.kpi_daily k USING (date) GROUP BY ALL ORDER BY date, category
"""
# the products' cards: Σ / Σ of product_daily over the range (margin rate over the lines with a
# known cost, return rate: refunded units / units sold), for one category under the filter
PRODUCT_CARDS = (
    ("revenue", "Product revenue", "money", "revenue", None),
    ("units_sold", "Units sold", "int", "units_sold", None),
    ("gross_margin", "Gross margin", "money", "gross_margin", None),
    ("margin_rate", "Margin rate", "pct", "gross_margin", "costed_revenue"),
    ("return_rate", "Return rate (units)", "pct", "refunded_units", "units_sold"),
)
FORECAST_SQL = "SELECT date, forecast, lower, upper, model, backtest_mape FROM marts.gmv_forecast ORDER BY date"
# Ranked lists keep the top N of each category (QUALIFY ... <= N), ordered over all: the page
# shows the first N rows, and under the category filter the first N of that category; the overall
# top N is a subset of the categories' top Ns, so both are exact.
BEST_SQL = f"""
WITH p AS (
    SELECT coalesce(arg_max(title, date), product_id) AS title, product_id,
           coalesce(any_value(category), '{NO_CATEGORY}') AS category, sum(units_sold) AS units,
           sum(revenue) AS revenue, sum(product_views) AS views,
           sum(refunded_units) / nullif(sum(units_sold), 0) AS return_rate
    FROM marts.product_daily WHERE date >= $1 GROUP BY product_id HAVING sum(units_sold) > 0
)
SELECT * FROM p
QUALIFY row_number() OVER (PARTITION BY category ORDER BY revenue DESC, product_id) <= 10
ORDER BY revenue DESC, product_id
"""
RETURNS_SQL = f"""
WITH p AS (
    SELECT coalesce(arg_max(title, date), product_id) AS title, product_id,
           coalesce(any_value(category), '{NO_CATEGORY}') AS category, sum(units_sold) AS units,
           sum(refunded_units) AS returned, sum(refunded_units) / sum(units_sold) AS return_rate
    FROM marts.product_daily WHERE date >= $1 GROUP BY product_id HAVING sum(units_sold) >= 5
)
SELECT * FROM p
QUALIFY row_number() OVER (PARTITION BY category ORDER BY return_rate DESC, units DESC, product_id) <= 10
ORDER BY return_rate DESC, units DESC, product_id
"""
# reasons: completed refunds, by the order date of their order (as kpis.md attributes refunds),
# for the whole shop (by_category null) and for each category (the filter's rows)
REASONS_SQL = f"""
SELECT reason, CASE WHEN grouping(category) = 0 THEN coalesce(category, '{NO_CATEGORY}') END AS by_category,
       sum(refunds) AS refunds, sum(refunded_amount) AS amount,
       sum(refunds) / sum(sum(refunds)) OVER (PARTITION BY grouping(category), category) AS share
FROM marts.returns_daily WHERE date >= $1
GROUP BY GROUPING SETS ((reason), (reason, category)) ORDER BY by_category NULLS FIRST, refunds DESC, reason
"""
COUPONS_SQL = """
WITH c AS (
    SELECT coupon_code, sum(orders) AS orders, sum(revenue) AS revenue, sum(discount) AS discount,
           sum(revenue) / sum(orders) AS aov, sum(refund_share * orders) / sum(orders) AS refund_share
    FROM marts.coupon_performance WHERE date >= $1 GROUP BY coupon_code
), plain AS (
    -- paid orders without a coupon over the range: all paid orders (kpi_daily) less the coupon
    -- orders (coupon_performance); an average of the daily no_coupon_aov would weigh days equally
    SELECT (k.revenue - coalesce(cp.revenue, 0)) / nullif(k.orders - coalesce(cp.orders, 0), 0) AS no_coupon_aov
    FROM (SELECT sum(gross_revenue) AS revenue, sum(paid_orders) AS orders FROM marts.kpi_daily WHERE date >= $1) k,
         (SELECT sum(revenue) AS revenue, sum(orders) AS orders FROM marts.coupon_performance WHERE date >= $1) cp
)
SELECT c.*, plain.no_coupon_aov, c.aov / plain.no_coupon_aov - 1 AS aov_vs_no_coupon
FROM c, plain ORDER BY orders DESC, coupon_code LIMIT 12
"""
SLOW_SQL = f"""
SELECT coalesce(title, product_id) AS title, product_id, coalesce(category, '{NO_CATEGORY}') AS category,
       launched_date, units_30d, as_of_date
FROM marts.product_health WHERE slow_mover
QUALIFY row_number() OVER (PARTITION BY category ORDER BY launched_date, product_id) <= 15
ORDER BY launched_date, product_id
"""


def _forecast(reader: Reader) -> tuple[dict, str]:
    rows = [r for r in reader.rows(FORECAST_SQL)]
    good = [r for r in rows if r["forecast"] is not None]
    f = {
        "x": [r["date"] for r in good],
        "y": [r["forecast"] for r in good],
        "lower": [r["lower"] for r in good],
        "upper": [r["upper"] for r in good],
    }
    if not good:
        note = f"no forecast: {rows[0]['model'] if rows else 'no data'}"
    else:
        mape = good[0]["backtest_mape"]
        note = f"dashed: forecast for the next {len(good)} days with its 80 % interval" + (
            f"; backtest error (MAPE) {mape:.1%}" if mape is not None else ""
        )
    return f, note


# the cards that are ratios of product_daily's sums (it has no column for them over several days)
RATE_DEFINITIONS = {
    "margin_rate": "gross margin / revenue of the lines whose cost is known, over the days shown",
    "return_rate": "refunded units / units sold over the days shown",
}


def build(reader: Reader) -> dict:
    forecast, note = _forecast(reader)
    kpi = kpi_table(reader, "gmv", "net_revenue", "paid_orders", "cross_border_orders")
    products = reader.daily(PRODUCT_SQL, dims=("category",))
    widgets = [
        cards(
            "product",
            PRODUCT_CARDS,
            {**reader.definitions("product_daily"), **RATE_DEFINITIONS},
            provisional={"return_rate": "refunds still to come can raise this rate"},
        ),
        {
            "type": "forecast",
            "id": "gmv-forecast",
            "title": "GMV and net revenue per day, with forecast",
            "note": note,
            "table": "kpi",
            "series": [measure("GMV", "gmv"), measure("net revenue", "net_revenue")],
            "forecast": forecast,
            "wide": True,
        },
        table(
            "Best sellers (by revenue)",
            [
                ("title", "product", "text"),
                ("product_id", "id", "text"),
                ("category", "category", "text"),
                ("units", "units", "int"),
                ("revenue", "revenue", "money"),
                ("views", "views", "int"),
                ("return_rate", "return rate", "pct"),
            ],
            by_range="best",
            match={"category": "category"},
            top=10,
        ),
        table(
            "Highest return rates (products with ≥ 5 units)",
            [
                ("title", "product", "text"),
                ("product_id", "id", "text"),
                ("category", "category", "text"),
                ("units", "units", "int"),
                ("returned", "returned", "int"),
                ("return_rate", "return rate", "pct"),
            ],
            by_range="returns",
            match={"category": "category"},
            top=10,
        ),
        table(
            "Refund reasons (completed refunds)",
            [
                ("reason", "reason", "text"),
                ("refunds", "refunds", "int"),
                ("amount", "amount", "money"),
                ("share", "share", "pct"),
            ],
            by_range="reasons",
            sliced=["category"],
        ),
        table(
            "Slow movers (no sale in 30 days)",
            [
                ("title", "product", "text"),
                ("product_id", "id", "text"),
                ("category", "category", "text"),
                ("launched_date", "launched", "text"),
                ("units_30d", "units 30d", "int"),
            ],
            rows=reader.rows(SLOW_SQL),
            match={"category": "category"},
            top=15,
            empty="no slow mover",
            note="as of the last day, whatever the range",
        ),
        table(
            "Coupon effect",
            [
                ("coupon_code", "coupon", "text"),
                ("orders", "orders", "int"),
                ("revenue", "revenue", "money"),
                ("discount", "discount", "money"),
                ("aov", "AOV", "money"),
                ("no_coupon_aov", "AOV without coupon", "money"),
                ("aov_vs_no_coupon", "AOV vs none", "pct"),
                ("refund_share", "refunded", "pct"),
            ],
            by_range="coupons",
            wide=True,
        ),
        line(
            "cross-border",
            "Cross-border share of paid orders",
            "kpi",
            [measure("cross-border share", "cross_border_orders", "paid_orders")],
            fmt="pct",
            wide=True,
        ),
    ]
    return {
        "widgets": widgets,
        "filters": [page_filter("category", "category", sorted({c for c in products["f"]["category"] if c}))],
        "tables": {"kpi": kpi, "product": products},
        "by_range": {
            "best": reader.by_range(BEST_SQL),
            "returns": reader.by_range(RETURNS_SQL),
            "reasons": reader.by_range(REASONS_SQL),
            "coupons": reader.by_range(COUPONS_SQL),
        },
    }
