"""Page 5, Service & after-sales: tickets per 100 orders, response and resolution times, SLA
breaches, CSAT by channel and category, reopen rate; service operations: how many solved
tickets the bot closed alone, pre-sale tickets that became orders, and the agents."""

from __future__ import annotations

from dashboards.pages.common import bars, kpi_table, line, measure, table
from dashboards.queries import Reader

FILE, TITLE = "service.html", "Service & after-sales"

# counts behind service_daily's rates (rate × tickets) and its CSAT counts, per day and channel or
# category; the browser sums them over the range
_SERVICE_SQL = """
SELECT date, {dim}, sum(tickets) AS tickets, round(sum(sla_breach_rate * tickets)) AS breached,
       round(sum(reopen_rate * tickets)) AS reopened, sum(rated_tickets) AS rated,
       sum(satisfied_tickets) AS satisfied, sum(solved_tickets) AS solved,
       sum(bot_contained_tickets) AS bot_contained, sum(presale_tickets) AS presale,
       sum(presale_converted_tickets) AS presale_converted
FROM marts.service_daily GROUP BY ALL ORDER BY date, {dim}
"""
# agents over the range: counts summed, CSAT as Σ satisfied / Σ rated (agent_daily's definition)
AGENTS_SQL = """
SELECT agent_id, sum(tickets_touched) AS tickets_touched, sum(messages) AS messages,
       sum(first_responses) AS first_responses,
       sum(satisfied_tickets) / nullif(sum(rated_tickets), 0) AS csat, sum(rated_tickets) AS rated
FROM marts.agent_daily WHERE date >= $1
GROUP BY agent_id ORDER BY tickets_touched DESC, agent_id LIMIT 20
"""
# percentiles over the tickets of a day or a range: from the tickets' own times (ticket_times),
# since service_daily's percentiles per (date, channel, category) cannot be combined
DAILY_TIMES_SQL = """
SELECT date,
       quantile_cont(first_response_minutes, 0.5) AS fr_p50, quantile_cont(first_response_minutes, 0.9) AS fr_p90,
       quantile_cont(resolution_minutes, 0.5) AS res_p50, quantile_cont(resolution_minutes, 0.9) AS res_p90
FROM marts.ticket_times GROUP BY 1 ORDER BY 1
"""
TIMES_SQL = """
SELECT CASE WHEN grouping(channel) = 1 THEN 'all channels' ELSE channel END AS channel, count(*) AS tickets,
       quantile_cont(first_response_minutes, 0.5) AS fr_p50, quantile_cont(first_response_minutes, 0.9) AS fr_p90,
       quantile_cont(resolution_minutes, 0.5) AS res_p50, quantile_cont(resolution_minutes, 0.9) AS res_p90
FROM marts.ticket_times WHERE date >= $1
GROUP BY ROLLUP (channel) ORDER BY grouping(channel), tickets DESC, channel
"""


def build(reader: Reader) -> dict:
    kpi = kpi_table(reader, "tickets", "paid_orders")
    rates = [measure("SLA breach rate", "breached", "tickets"), measure("reopen rate", "reopened", "tickets")]
    widgets = [
        line(
            "tickets-per-100",
            "Tickets per 100 paid orders",
            "kpi",
            [measure("tickets per 100 orders", "tickets", "paid_orders", scale=100)],
            fmt="num2",
        ),
        line(
            "service-rates",
            "SLA breach and reopen rate",
            "svc_channel",
            [measure("SLA breach rate", "breached", "tickets"), measure("reopen rate", "reopened", "tickets")],
            fmt="pct",
        ),
        line(
            "response-times",
            "First response and resolution per day (minutes)",
            "times",
            [
                measure("first response p50", "fr_p50"),
                measure("first response p90", "fr_p90"),
                measure("resolution p50", "res_p50"),
                measure("resolution p90", "res_p90"),
            ],
            fmt="int",
            note="percentiles over the tickets created that day",
            wide=True,
        ),
        table(
            "Response and resolution times by channel (minutes)",
            [
                ("channel", "channel", "text"),
                ("tickets", "tickets", "int"),
                ("fr_p50", "first response p50", "min"),
                ("fr_p90", "first response p90", "min"),
                ("res_p50", "resolution p50", "min"),
                ("res_p90", "resolution p90", "min"),
            ],
            by_range="times",
            wide=True,
        ),
        bars(
            "csat-channel",
            "CSAT by channel (share of ratings 4–5)",
            "svc_channel",
            [measure("CSAT", "satisfied", "rated")],
            fmt="pct",
        ),
        bars("csat-category", "CSAT by category", "svc_category", [measure("CSAT", "satisfied", "rated")], fmt="pct"),
        bars("rates-channel", "SLA breach and reopen rate by channel", "svc_channel", rates, fmt="pct"),
        bars("rates-category", "SLA breach and reopen rate by category", "svc_category", rates, fmt="pct"),
        line(
            "service-operations",
            "Bot containment and pre-sale conversion",
            "svc_channel",
            [
                measure("solved by the bot alone", "bot_contained", "solved"),
                measure("pre-sale tickets that became an order within 7 days", "presale_converted", "presale"),
            ],
            fmt="pct",
            wide=True,
        ),
        table(
            "Agents",
            [
                ("agent_id", "agent", "text"),
                ("tickets_touched", "tickets", "int"),
                ("messages", "messages", "int"),
                ("first_responses", "first replies", "int"),
                ("csat", "CSAT", "pct"),
                ("rated", "rated tickets", "int"),
            ],
            by_range="agents",
            empty="no agent reply in this range",
            wide=True,
        ),
    ]
    return {
        "widgets": widgets,
        "tables": {
            "kpi": kpi,
            "times": reader.daily(DAILY_TIMES_SQL),
            "svc_channel": reader.daily(_SERVICE_SQL.format(dim="channel"), "channel"),
            "svc_category": reader.daily(_SERVICE_SQL.format(dim="category"), "category"),
        },
        "by_range": {"times": reader.by_range(TIMES_SQL), "agents": reader.by_range(AGENTS_SQL)},
    }
