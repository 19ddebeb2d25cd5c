"""Reference `channel_daily` and `funnel_daily`: an independent computation from the landing files.

Plain polars (and plain Python for URL hosts and the channel rules), no DuckDB, no SQL, nothing
imported from the pipeline. The landing files are read with the readers of
`reference.kpi_daily` (same typing, dedupe, latest state and fx rules); this module only asks
them for a few more fields. It follows `../shared/spec/kpis.md` ("Traffic and conversion",
"Channel rules", "Marketing") and the choices documented in the marts' YAML:

- session = events sharing `session_id` (deduplicated by `event_id`, first arrival wins); its
  date, platform, device and channel are those of its first event (earliest `event_ts`, ties by
  `event_id`); a missing platform / device_type is 'unknown';
- channel rules: first match wins, lower-cased and trimmed; host = domain or ends with '.' +
  domain; a referrer whose host equals the page_url's host counts as empty;
- channel_daily rows: every (date, channel) with a session start, a visitor event, an attributed
  paid order or a spend row; counts and sums 0 where absent; ratios null on a zero denominator;
- attributed orders: paid orders (latest state) by order date, channel of their own session,
  `direct` when the session is unknown; new customers: customers whose first paid order
  (earliest created_at, ties by order_id) is attributed to the channel, on its order date;
- spend: latest arrival per (date, channel, campaign), in base currency at the spend date;
- attributed_gross_margin: Σ of the attributed orders' gross margins (reference.margin: their
  lines with a known cost), null when none has one; poas = attributed_gross_margin / spend.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from tests.reference import kpi_daily as kd

CHANNEL_COLUMNS = (
    "date",
    "channel",
    "sessions",
    "visitors",
    "attributed_orders",
    "attributed_revenue",
    "attributed_gross_margin",
    "conversion_rate",
    "spend",
    "roas",
    "poas",
    "new_customers",
    "cac",
    "impressions",
    "clicks",
    "ctr",
    "cpc",
)
FUNNEL_COLUMNS = (
    "date",
    "platform",
    "device_type",
    "sessions",
    "reached_product",
    "reached_cart",
    "reached_checkout",
    "purchased",
    "product_rate",
    "cart_rate",
    "checkout_rate",
    "purchase_rate",
)

# The extra fields this computation reads, on top of those reference.kpi_daily reads.
EXTRA_FIELDS = {
    ("traffic", "events"): {
        "page_url": "string",
        "referrer": "string",
        "utm_source": "string",
        "utm_medium": "string",
        "platform": "string",
        "device_type": "string",
    },
    ("shop", "orders"): {"session_id": "string"},
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

# kpis.md "Channel rules", in order: (channel, utm_medium values, utm_source values, referrer domains)
RULES = (
    ("paid_search", {"cpc", "ppc", "paid_search"}, set(), set()),
    ("paid_social", {"paid_social", "social_ads"}, set(), set()),
    ("live_stream", {"live"}, {"douyin_live", "taobao_live"}, set()),
    ("short_video", {"short_video"}, {"douyin", "kuaishou", "tiktok"}, set()),
    ("email", {"email"}, set(), set()),
    ("affiliate", {"affiliate"}, set(), set()),
    ("social", {"social"}, set(), {"weibo.com", "xiaohongshu.com", "wechat.com", "facebook.com", "instagram.com"}),
    ("organic_search", set(), set(), {"baidu.com", "google.com", "bing.com", "sogou.com"}),
)


# What `_read` reads of each entity: reference.kpi_daily's fields plus EXTRA_FIELDS, built once.
FIELDS = kd.with_fields(EXTRA_FIELDS)


def _read(landing: Path, system: str, entity: str) -> pl.DataFrame | None:
    return kd.read_entity(landing, system, entity, FIELDS)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


def url_host(url: str | None) -> str | None:
    """Lower-case host of a URL: after `scheme://`, before `/?#`, without `user@` and `:port`."""
    url = _clean(url)
    if url is None:
        return None
    rest = url.split("://", 1)[1] if "://" in url else (url[2:] if url.startswith("//") else url)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    host = re.sub(r":\d*$", "", host)
    return host or None


def _matches(host: str | None, domain: str) -> bool:
    return host is not None and (host == domain or host.endswith("." + domain))


def session_channel(utm_medium: str | None, utm_source: str | None, referrer: str | None, page_url: str | None) -> str:
    medium, source = _clean(utm_medium), _clean(utm_source)
    ref = _clean(referrer)
    host = url_host(ref)
    if ref is not None and host is not None and host == url_host(page_url):
        ref, host = None, None  # internal navigation counts as empty
    for channel, mediums, sources, domains in RULES:
        if medium in mediums or source in sources or any(_matches(host, d) for d in domains):
            return channel
    return "referral" if ref is not None else "direct"


def _sessions(landing: Path, tz: str) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(events, sessions), or None without traffic."""
    events = _read(landing, "traffic", "events")
    if events is None:
        return None
    events = kd._first(events, ["event_id"]).with_columns(
        pl.col("event_ts").dt.convert_time_zone(tz).dt.date().alias("event_date")
    )
    sessions = (
        events.sort("event_ts", "event_id")
        .group_by("session_id", maintain_order=True)
        .agg(
            pl.col("event_date").first().alias("date"),
            pl.col("platform").first().fill_null("unknown").alias("platform"),
            pl.col("device_type").first().fill_null("unknown").alias("device_type"),
            pl.col("utm_medium").first(),
            pl.col("utm_source").first(),
            pl.col("referrer").first(),
            pl.col("page_url").first(),
            (pl.col("event_name") == "product_view").any().alias("reached_product"),
            (pl.col("event_name") == "add_to_cart").any().alias("reached_cart"),
            (pl.col("event_name") == "begin_checkout").any().alias("reached_checkout"),
            (pl.col("event_name") == "purchase").any().alias("purchased"),
        )
    )
    channels = [
        session_channel(*row) for row in sessions.select("utm_medium", "utm_source", "referrer", "page_url").iter_rows()
    ]
    sessions = sessions.with_columns(pl.Series("channel", channels, dtype=pl.String))
    return events, sessions


def compute_funnel_daily(landing: Path, tz: str = "Asia/Shanghai") -> pl.DataFrame:
    found = _sessions(Path(landing), tz)
    if found is None:
        return pl.DataFrame(schema={c: pl.Float64 for c in FUNNEL_COLUMNS})
    _, sessions = found
    df = sessions.group_by("date", "platform", "device_type").agg(
        pl.len().alias("sessions"),
        *[pl.col(c).sum() for c in ("reached_product", "reached_cart", "reached_checkout", "purchased")],
    )
    df = df.with_columns(
        kd._ratio("reached_product", "sessions").alias("product_rate"),
        kd._ratio("reached_cart", "reached_product").alias("cart_rate"),
        kd._ratio("reached_checkout", "reached_cart").alias("checkout_rate"),
        kd._ratio("purchased", "reached_checkout").alias("purchase_rate"),
    )
    return df.select(
        "date",
        "platform",
        "device_type",
        *[pl.col(c).cast(pl.Int64) for c in FUNNEL_COLUMNS[3:8]],
        *[pl.col(c).cast(pl.Float64) for c in FUNNEL_COLUMNS[8:]],
    ).sort("date", "platform", "device_type")


def compute_channel_daily(landing: Path, tz: str = "Asia/Shanghai", base_currency: str = "CNY") -> pl.DataFrame:
    landing = Path(landing)
    fx = _read(landing, "finance", "fx_rates")
    keys = ["date", "channel"]
    parts = []

    found = _sessions(landing, tz)
    session_channels = pl.DataFrame(schema={"session_id": pl.String, "channel": pl.String})
    if found is not None:
        events, sessions = found
        session_channels = sessions.select("session_id", "channel")
        parts.append(
            sessions.group_by(keys).agg(pl.len().alias("sessions"), pl.col("purchased").sum().alias("converted"))
        )
        parts.append(
            events.join(session_channels, on="session_id", how="inner")
            .group_by(pl.col("event_date").alias("date"), "channel")
            .agg(pl.col("anonymous_id").n_unique().alias("visitors"))
        )

    orders = _read(landing, "shop", "orders")
    if orders is not None:
        orders = kd._latest(orders, ["order_id"], ["updated_at"]).with_columns(
            pl.col("created_at").dt.convert_time_zone(tz).dt.date().alias("date")
        )
        orders = kd._convert(orders, ["total_amount"], "currency", "date", fx, base_currency)
        paid = (
            orders.filter(pl.col("status").is_in(kd.PAID_STATUSES))
            .join(session_channels, on="session_id", how="left")
            .with_columns(pl.col("channel").fill_null("direct"))
        )
        # the gross margin of each paid order: reference.margin (costed lines; null when none)
        from tests.reference.margin import order_margins, sum_or_null

        paid = paid.join(order_margins(landing, tz, base_currency), on="order_id", how="left")
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
        spend = kd._convert(spend, ["spend"], "currency", "date", fx, base_currency)
        parts.append(
            spend.group_by(keys).agg(pl.col("spend").sum(), pl.col("impressions").sum(), pl.col("clicks").sum())
        )

    counts = (
        "sessions",
        "converted",
        "visitors",
        "attributed_orders",
        "attributed_revenue",
        "spend",
        "new_customers",
        "impressions",
        "clicks",
    )
    if not parts:
        return pl.DataFrame(schema={c: pl.Float64 for c in CHANNEL_COLUMNS})
    df = pl.concat([p.select(keys) for p in parts]).unique()
    for part in parts:
        df = df.join(part, on=keys, how="left")
    if "attributed_gross_margin" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias("attributed_gross_margin"))
    df = df.with_columns(
        (pl.col(c).fill_null(0) if c in df.columns else pl.lit(0).alias(c)) for c in counts
    ).with_columns(
        kd._ratio("converted", "sessions").alias("conversion_rate"),
        kd._ratio("attributed_revenue", "spend").alias("roas"),
        kd._ratio("attributed_gross_margin", "spend").alias("poas"),
        kd._ratio("spend", "new_customers").alias("cac"),
        kd._ratio("clicks", "impressions").alias("ctr"),
        kd._ratio("spend", "clicks").alias("cpc"),
    )
    ints = ("sessions", "visitors", "attributed_orders", "new_customers", "impressions", "clicks")
    return df.select(
        "date",
        "channel",
        *[pl.col(c).cast(pl.Int64) if c in ints else pl.col(c).cast(pl.Float64) for c in CHANNEL_COLUMNS[2:]],
    ).sort("date", "channel")
