"""Page 3, Sales & products: GMV and net revenue with the forecast, best sellers, slow movers,
returns by product and reason, coupons, cross-border share."""

from __future__ import annotations

from dashboards.pages.common import kpi_table, line, measure, table
from dashboards.queries import Reader

FILE, TITLE = "sales.html", "Sales & products"

FORECAST_SQL = "SELECT date, forecast, lower, upper, model, backtest_mape FROM marts.gmv_forecast ORDER BY date"
BEST_SQL = """
SELECT coalesce(arg_max(title, date), product_id) AS title, product_id, any_value(category) AS category,
       sum(units_sold) AS units, sum(revenue) AS revenue, sum(product_views) AS views, sum(refunded_units) / nullif(sum(units_sold), 0) AS return_rate
FROM marts.product_daily WHERE date >= $1 GROUP BY product_id
HAVING sum(units_sold) > 0 ORDER BY revenue DESC, product_id LIMIT 10
"""
RETURNS_SQL = """
SELECT coalesce(arg_max(title, date), product_id) AS title, product_id, any_value(category) AS category,
       sum(units_sold) AS units, sum(refunded_units) AS returned,
       sum(refunded_units) / sum(units_sold) AS return_rate
FROM marts.product_daily WHERE date >= $1 GROUP BY product_id
HAVING sum(units_sold) >= 5 ORDER BY return_rate DESC, units DESC, product_id LIMIT 10
"""
# reasons: completed refunds, by the order date of their order (as kpis.md attributes refunds);
# returns_daily holds them per category too, summed away here
REASONS_SQL = """
SELECT reason, sum(refunds) AS refunds, sum(refunded_amount) AS amount,
       sum(refunds) / sum(sum(refunds)) OVER () AS share
FROM marts.returns_daily WHERE date >= $1
GROUP BY ALL ORDER BY refunds DESC, reason
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
SLOW_SQL = """
SELECT coalesce(title, product_id) AS title, product_id, category, launched_date, units_30d, as_of_date
FROM marts.product_health WHERE slow_mover ORDER BY launched_date, product_id LIMIT 15
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


def build(reader: Reader) -> dict:
    forecast, note = _forecast(reader)
    kpi = kpi_table(reader, "gmv", "net_revenue", "paid_orders", "cross_border_orders")
    widgets = [
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
        "tables": {"kpi": kpi},
        "by_range": {
            "best": reader.by_range(BEST_SQL),
            "returns": reader.by_range(RETURNS_SQL),
            "reasons": reader.by_range(REASONS_SQL),
            "coupons": reader.by_range(COUPONS_SQL),
        },
    }
