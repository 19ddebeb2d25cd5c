"""Page, Profit, delivery & stock: gross margin per day and by category, profit on ad spend by
channel and campaign, delivery by carrier, and the products out of stock or running low (the
second edition's margin, campaign, fulfilment and inventory marts). Filters: category
(product_daily, product_health) and channel (channel_daily, campaign_daily)."""

from __future__ import annotations

from dashboards.pages.common import bars, line, measure, page_filter, table
from dashboards.pages.sales import NO_CATEGORY
from dashboards.queries import Reader

FILE, TITLE = "profit.html", "Profit, delivery & stock"

# Margin rate over several days or products: Σ gross_margin / Σ (gross_margin + cogs), i.e. over
# the line revenue of the lines with a known cost, as kpi_daily.margin_rate defines it for a day
# (revenue − cogs over the same lines); cost coverage: that revenue / all line revenue.
MARGIN_SQL = f"""
SELECT date, coalesce(category, '{NO_CATEGORY}') AS category, sum(gross_margin) AS gross_margin,
       sum(gross_margin + cogs) AS costed_revenue
FROM marts.product_daily GROUP BY ALL ORDER BY date, category
"""
CATEGORY_SQL = f"""
SELECT coalesce(category, '{NO_CATEGORY}') AS category, sum(revenue) AS revenue, sum(cogs) AS cogs,
       sum(gross_margin) AS gross_margin,
       sum(gross_margin) / nullif(sum(gross_margin + cogs), 0) AS margin_rate,
       sum(gross_margin + cogs) / nullif(sum(revenue), 0) AS cost_coverage
FROM marts.product_daily WHERE date >= $1
GROUP BY 1 HAVING sum(revenue) > 0 ORDER BY gross_margin DESC NULLS LAST, revenue DESC, category
"""
CHANNEL_SQL = """
SELECT date, channel, spend, attributed_revenue, attributed_gross_margin
FROM marts.channel_daily ORDER BY date, channel
"""
# the 15 biggest campaigns by spend of each channel, ordered over all (the page shows the first 15)
CAMPAIGN_SQL = """
WITH c AS (
    SELECT channel, campaign, sum(spend) AS spend, sum(attributed_orders) AS orders,
           sum(attributed_revenue) AS revenue, sum(attributed_gross_margin) AS gross_margin,
           sum(attributed_revenue) / nullif(sum(spend), 0) AS roas,
           sum(attributed_gross_margin) / nullif(sum(spend), 0) AS poas
    FROM marts.campaign_daily WHERE date >= $1
    GROUP BY ALL HAVING sum(spend) > 0 OR sum(attributed_orders) > 0
)
SELECT * FROM c
QUALIFY row_number() OVER (PARTITION BY channel ORDER BY spend DESC, revenue DESC, campaign) <= 15
ORDER BY spend DESC, revenue DESC, channel, campaign
"""
DELIVERY_SQL = """
SELECT date, carrier, on_time_deliveries, promised_deliveries FROM marts.fulfilment_daily ORDER BY date, carrier
"""
CARRIER_SQL = """
SELECT carrier, sum(paid_orders) AS paid_orders, sum(shipped_orders) AS shipped_orders,
       sum(delivered_orders) AS delivered_orders,
       sum(on_time_deliveries) / nullif(sum(promised_deliveries), 0) AS on_time_rate,
       sum(late_delivery_refunds) AS late_delivery_refunds
FROM marts.fulfilment_daily WHERE date >= $1
GROUP BY carrier ORDER BY paid_orders DESC, carrier
"""
STOCK_SQL = f"""
SELECT coalesce(title, product_id) AS title, product_id, coalesce(category, '{NO_CATEGORY}') AS category,
       on_hand, days_of_cover, revenue_30d, CASE WHEN stockout THEN 'out of stock' ELSE 'low' END AS state, as_of_date
FROM marts.product_health WHERE stockout OR low_stock
QUALIFY row_number() OVER (PARTITION BY category ORDER BY stockout DESC, revenue_30d DESC, product_id) <= 20
ORDER BY stockout DESC, revenue_30d DESC, product_id
"""


def build(reader: Reader) -> dict:
    widgets = [
        line(
            "margin-day",
            "Gross margin per day",
            "margin",
            [measure("gross margin", "gross_margin")],
            fmt="money",
            wide=True,
        ),
        line(
            "margin-rate-day",
            "Margin rate per day (lines with a known cost)",
            "margin",
            [measure("margin rate", "gross_margin", "costed_revenue")],
            fmt="pct",
        ),
        bars(
            "poas-channel",
            "Profit on ad spend by channel (attributed gross margin / spend)",
            "channel",
            [measure("POAS", "attributed_gross_margin", "spend")],
            fmt="x",
            auto_log=True,
        ),
        table(
            "Margin by category",
            [
                ("category", "category", "text"),
                ("revenue", "revenue", "money"),
                ("cogs", "cost of goods", "money"),
                ("gross_margin", "gross margin", "money"),
                ("margin_rate", "margin rate", "pct"),
                ("cost_coverage", "cost known for", "pct"),
            ],
            by_range="categories",
            match={"category": "category"},
            note="margin rate over the lines whose cost is known; 'cost known for': their share of revenue",
            wide=True,
        ),
        table(
            "Campaigns: spend, revenue and profit",
            [
                ("channel", "channel", "text"),
                ("campaign", "campaign", "text"),
                ("spend", "spend", "money"),
                ("orders", "orders", "int"),
                ("revenue", "revenue", "money"),
                ("gross_margin", "gross margin", "money"),
                ("roas", "ROAS", "x"),
                ("poas", "POAS", "x"),
            ],
            by_range="campaigns",
            match={"channel": "channel"},
            top=15,
            wide=True,
        ),
        line(
            "on-time-carrier",
            "On-time delivery rate by carrier (by the day the order was paid)",
            "delivery",
            [measure("on time", "on_time_deliveries", "promised_deliveries", split=True)],
            fmt="pct",
            wide=True,
        ),
        table(
            "Delivery by carrier",
            [
                ("carrier", "carrier", "text"),
                ("paid_orders", "paid orders", "int"),
                ("shipped_orders", "shipped", "int"),
                ("delivered_orders", "delivered", "int"),
                ("on_time_rate", "on time", "pct"),
                ("late_delivery_refunds", "late-delivery refunds", "int"),
            ],
            by_range="carriers",
            note="orders paid in the range; on time: delivered by the promised date, of those with a promise",
            wide=True,
        ),
        table(
            "Out of stock or running low (as of the last day)",
            [
                ("title", "product", "text"),
                ("product_id", "id", "text"),
                ("category", "category", "text"),
                ("state", "state", "text"),
                ("on_hand", "on hand", "int"),
                ("days_of_cover", "days of cover", "num2"),
                ("revenue_30d", "revenue 30d", "money"),
            ],
            rows=reader.rows(STOCK_SQL),
            match={"category": "category"},
            top=20,
            empty="no product out of stock or low (or no stock file sent)",
            note="not cut by the range: the stock of the last day",
            wide=True,
        ),
    ]
    margin = reader.daily(MARGIN_SQL, dims=("category",))
    channel = reader.daily(CHANNEL_SQL, "channel", dims=("channel",))
    return {
        "widgets": widgets,
        "filters": [
            page_filter("category", "category", sorted({c for c in margin["f"]["category"] if c})),
            page_filter("channel", "channel", channel["groups"]),
        ],
        "tables": {
            "margin": margin,
            "channel": channel,
            "delivery": reader.daily(DELIVERY_SQL, "carrier"),
        },
        "by_range": {
            "categories": reader.by_range(CATEGORY_SQL),
            "campaigns": reader.by_range(CAMPAIGN_SQL),
            "carriers": reader.by_range(CARRIER_SQL),
        },
    }
