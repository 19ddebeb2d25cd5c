"""Page 2, Traffic & marketing: the channels' cards, sessions and conversion by channel,
spend/ROAS/CAC, the funnel by platform and device, access paths and exit pages, page load.
Filters: channel (channel_daily) and platform (funnel_daily)."""

from __future__ import annotations

from dashboards.pages.common import bars, cards, kpi_table, line, measure, page_filter, table
from dashboards.queries import Reader

FILE, TITLE = "traffic.html", "Traffic & marketing"

CHANNEL_SQL = """
SELECT date, channel, sessions, round(conversion_rate * sessions) AS purchasing_sessions,
       spend, attributed_orders, attributed_revenue, new_customers
FROM marts.channel_daily ORDER BY date, channel
"""
FUNNEL_SQL = """
SELECT date, platform || ' · ' || device_type AS segment, platform, sum(sessions) AS sessions,
       sum(reached_product) AS reached_product, sum(reached_cart) AS reached_cart,
       sum(reached_checkout) AS reached_checkout, sum(purchased) AS purchased
FROM marts.funnel_daily GROUP BY ALL ORDER BY date, segment
"""
# session_paths is weekly: a range takes the weeks that overlap it (week_start > first day − 7)
PATHS_SQL = """
SELECT path, sum(sessions) AS sessions, sum(sessions) / (SELECT sum(sessions) FROM marts.session_paths
       WHERE week_start > $1::DATE - 7) AS share,
       sum(conversion_rate * sessions) / sum(sessions) AS conversion_rate,
       arg_max(top_exit_page, sessions) AS top_exit_page
FROM marts.session_paths WHERE week_start > $1::DATE - 7 AND path LIKE '% > %'
GROUP BY path ORDER BY sessions DESC, path LIMIT 10
"""
EXITS_SQL = """
SELECT top_exit_page AS exit_page, sum(sessions) AS sessions,
       sum(sessions) / (SELECT sum(sessions) FROM marts.session_paths WHERE week_start > $1::DATE - 7) AS share
FROM marts.session_paths WHERE week_start > $1::DATE - 7
GROUP BY ALL ORDER BY sessions DESC, exit_page LIMIT 10
"""
# the channel cards: Σ / Σ of channel_daily's columns over the range (conversion: purchasing
# sessions / sessions, ROAS: attributed revenue / spend), for one channel under the filter
CHANNEL_CARDS = (
    ("sessions", "Sessions", "int", "sessions", None),
    ("conversion_rate", "Conversion rate", "pct", "purchasing_sessions", "sessions"),
    ("spend", "Ad spend", "money", "spend", None),
    ("attributed_revenue", "Attributed revenue", "money", "attributed_revenue", None),
    ("roas", "ROAS", "x", "attributed_revenue", "spend"),
    ("new_customers", "New customers", "int", "new_customers", None),
)


def build(reader: Reader) -> dict:
    widgets = [
        cards("channel", CHANNEL_CARDS, reader.definitions("channel_daily")),
        line(
            "sessions-channel",
            "Sessions by channel",
            "channel",
            [measure("sessions", "sessions", split=True)],
            barmode="stack",
            kind="bar",
            wide=True,
        ),
        line(
            "conversion-channel",
            "Conversion rate by channel",
            "channel",
            [measure("conversion", "purchasing_sessions", "sessions", split=True)],
            fmt="pct",
            top=5,
            note="the 5 channels with the most sessions in the range; the others as one line",
        ),
        bars(
            "spend-channel",
            "Spend and attributed revenue by channel",
            "channel",
            [measure("spend", "spend"), measure("attributed revenue", "attributed_revenue")],
            fmt="money",
        ),
        bars(
            "roas-channel",
            "ROAS by channel (attributed revenue / spend)",
            "channel",
            [measure("ROAS", "attributed_revenue", "spend")],
            fmt="x",
            auto_log=True,
        ),
        bars(
            "cac-channel",
            "CAC by channel (spend / new customers)",
            "channel",
            [measure("CAC", "spend", "new_customers")],
            fmt="money",
            auto_log=True,
        ),
        bars(
            "funnel",
            "Funnel by platform and device (step rate)",
            "funnel",
            [
                measure("viewed a product", "reached_product", "sessions"),
                measure("added to cart", "reached_cart", "reached_product"),
                measure("began checkout", "reached_checkout", "reached_cart"),
                measure("purchased", "purchased", "reached_checkout"),
            ],
            fmt="pct",
            wide=True,
        ),
        table(
            "Top access paths",
            [
                ("path", "path (first 5 pages)", "text"),
                ("sessions", "sessions", "int"),
                ("share", "share", "pct"),
                ("conversion_rate", "conversion", "pct"),
                ("top_exit_page", "exit page", "text"),
            ],
            by_range="paths",
            note="sessions that saw two or more kinds of page, in the weeks overlapping the range; share of all sessions",
        ),
        table(
            "Exit pages",
            [("exit_page", "exit page", "text"), ("sessions", "sessions", "int"), ("share", "share", "pct")],
            by_range="exits",
            note="each path's most common exit page, weighted by its sessions",
        ),
        line(
            "page-load",
            "Page load (ms)",
            "kpi",
            [measure("p50", "page_load_p50_ms"), measure("p90", "page_load_p90_ms")],
            fmt="ms",
            wide=True,
        ),
    ]
    kpi = kpi_table(reader, "page_load_p50_ms", "page_load_p90_ms")
    channel = reader.daily(CHANNEL_SQL, "channel", dims=("channel",))
    funnel = reader.daily(FUNNEL_SQL, "segment", dims=("platform",))
    return {
        "widgets": widgets,
        "filters": [
            page_filter("channel", "channel", channel["groups"]),
            page_filter("platform", "platform", sorted({p for p in funnel["f"]["platform"] if p is not None})),
        ],
        "tables": {
            "channel": channel,
            "funnel": funnel,
            "kpi": kpi,
        },
        "by_range": {"paths": reader.by_range(PATHS_SQL), "exits": reader.by_range(EXITS_SQL)},
    }
