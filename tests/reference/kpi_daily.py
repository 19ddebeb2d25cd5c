"""Reference `kpi_daily`: an independent computation straight from the landing files.

Plain polars, no DuckDB, no SQL, nothing imported from the pipeline. It follows
`../shared/spec/kpis.md` (definitions), `../shared/spec/sources.md` (landing layout) and the
"Model layer rules we chose" of `docs/design.md`:

- date range: every local date from the earliest to the latest date on which an order was
  created, a session started or a ticket was created;
- a source with no rows at all (no traffic events / no service events) => its KPIs are null;
  once it has rows, its counts are 0 on days without records and ratios are null on a zero
  denominator;
- latest state of change-captured rows: greatest `updated_at` (as an instant), ties broken by the
  later batch, then the later file (name order), then the later line;
- fx: the rate of the attribution date (orders, items, refunds: the order date), else the latest
  earlier rate; the base currency converts at 1; a later batch's rate for the same
  (date, currency) replaces the earlier one (ties: later file, then line);
- events: deduplicated by `event_id`, the first one (batch, file, line) wins; a session's first
  event is the earliest `event_ts`, ties by `event_id`;
- refunds: converted from the refund's own currency at the order date of their order;
- csat of a day: tickets created that day with a rating; the latest `csat_rated` (by `event_ts`,
  ties by later batch, file, line) counts.

Input is assumed contract-valid (nothing is quarantined here). Exact duplicate records vanish in
the key-based selections above (an exact duplicate shares its key and every value with the record
it duplicates).
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl

KPI_COLUMNS = (
    "date",
    "placed_orders",
    "paid_orders",
    "cancelled_orders",
    "gmv",
    "gross_revenue",
    "refunded_amount",
    "net_revenue",
    "aov",
    "units_sold",
    "discount_amount",
    "cross_border_share",
    "new_customers",
    "returning_customers",
    "buyers",
    "revenue_per_buyer",
    "sessions",
    "visitors",
    "bounce_rate",
    "conversion_rate",
    "visitor_conversion_rate",
    "avg_session_seconds",
    "page_load_p50_ms",
    "page_load_p90_ms",
    "refund_rate",
    "tickets",
    "tickets_per_100_orders",
    "csat",
    "is_final",
)
BOOL_COLUMNS = ("is_final",)
INT_COLUMNS = (
    "placed_orders",
    "paid_orders",
    "cancelled_orders",
    "units_sold",
    "new_customers",
    "returning_customers",
    "buyers",
    "sessions",
    "visitors",
    "tickets",
)
MONEY_COLUMNS = ("gmv", "gross_revenue", "refunded_amount", "net_revenue", "aov", "discount_amount")

PAID_STATUSES = ("paid", "shipped", "delivered")
FORMATS = ("csv.gz", "jsonl.gz", "parquet", "csv", "jsonl")  # longest suffix first

# The fields this computation needs, with their contract types.
NEEDED = {
    ("shop", "orders"): {
        "order_id": "string",
        "customer_id": "string",
        "created_at": "timestamp",
        "updated_at": "timestamp",
        "status": "string",
        "currency": "string",
        "items_subtotal": "decimal",
        "discount_amount": "decimal",
        "total_amount": "decimal",
        "ship_country": "string",
    },
    ("shop", "order_items"): {"order_id": "string", "line_number": "int", "quantity": "int"},
    ("shop", "refunds"): {
        "refund_id": "string",
        "order_id": "string",
        "amount": "decimal",
        "currency": "string",
        "status": "string",
        "updated_at": "timestamp",
    },
    ("traffic", "events"): {
        "event_id": "string",
        "event_ts": "timestamp",
        "anonymous_id": "string",
        "session_id": "string",
        "event_name": "string",
        "page_load_ms": "int",
    },
    ("service", "events"): {
        "event_id": "string",
        "ticket_id": "string",
        "event_ts": "timestamp",
        "event_type": "string",
        "csat_score": "int",
    },
    ("finance", "fx_rates"): {"date": "date", "currency": "string", "rate_to_base": "decimal"},
}
ORDER_OF_ARRIVAL = ["_batch", "_file", "_line"]


# --------------------------------------------------------------------------- reading


def _file_format(name: str) -> str | None:
    return next((fmt for fmt in FORMATS if name.endswith("." + fmt)), None)


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def _read_jsonl(raw: bytes) -> pl.DataFrame:
    records = []
    for line in raw.decode("utf-8").splitlines():
        if line.strip():
            records.append({k: _json_text(v) for k, v in json.loads(line).items()})
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    return pl.DataFrame({c: [r.get(c) for r in records] for c in columns}, schema={c: pl.String for c in columns})


def _read_parquet(raw: bytes) -> pl.DataFrame:
    df = pl.read_parquet(io.BytesIO(raw))
    out = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:  # not contract-valid; read as UTC
                col = col.dt.replace_time_zone("UTC")
            out.append(col.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.f+00:00").alias(name))
        elif dtype == pl.Date:
            out.append(col.dt.strftime("%Y-%m-%d").alias(name))
        else:
            out.append(col.cast(pl.String).alias(name))
    return df.select(out) if out else df


def _read_file(path: Path, fmt: str) -> pl.DataFrame:
    raw = path.read_bytes()
    if fmt.endswith(".gz"):
        raw = gzip.decompress(raw)
        fmt = fmt[: -len(".gz")]
    if fmt == "csv":
        if not raw.strip():
            return pl.DataFrame()
        return pl.read_csv(io.BytesIO(raw), infer_schema=False)
    if fmt == "jsonl":
        return _read_jsonl(raw)
    return _read_parquet(raw)


def _parse_timestamp(col: pl.Expr) -> pl.Expr:
    """ISO-8601 with an offset (`Z`, `+hh:mm`, `+hhmm`, `+hh`) -> an instant in UTC."""
    text = (
        col.str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
        .str.replace(r"[zZ]$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
        .str.replace(r"([+-]\d{2})$", "${1}:00")
    )
    return text.str.to_datetime(format="%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", time_unit="us")


def _typed(name: str, typ: str) -> pl.Expr:
    col = pl.col(name)
    if typ == "timestamp":
        return _parse_timestamp(col).alias(name)
    if typ == "date":
        return col.str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name)
    if typ == "decimal":
        return col.str.strip_chars().cast(pl.Float64).alias(name)
    if typ == "int":
        return col.str.strip_chars().cast(pl.Float64).cast(pl.Int64).alias(name)
    return col.alias(name)


def with_fields(extra: dict[tuple[str, str], dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """NEEDED plus the `extra` fields another computation reads ({(system, entity): {field: type}}),
    as a new mapping for `read_entity` (NEEDED itself is left as it is)."""
    return {key: {**NEEDED.get(key, {}), **extra.get(key, {})} for key in {**NEEDED, **extra}}


def read_entity(
    landing: Path, system: str, entity: str, needed: dict[tuple[str, str], dict[str, str]] = NEEDED
) -> pl.DataFrame | None:
    """All records of one landing entity, typed, with `_batch`, `_file`, `_line`: the fields
    `needed` names for it (this module's NEEDED, or `with_fields(...)` of another computation).

    None when the entity has no records at all (folder missing, no partitions, or empty files).
    """
    fields = needed[(system, entity)]
    base = Path(landing) / system / entity
    frames = []
    if base.is_dir():
        for part in sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("dt=")):
            batch = date.fromisoformat(part.name[len("dt=") :])
            for path in sorted(p for p in part.iterdir() if p.is_file()):
                fmt = _file_format(path.name)
                if fmt is None:
                    continue
                df = _read_file(path, fmt)
                if df.height == 0:
                    continue
                # contract: an empty field is null
                df = df.with_columns(
                    pl.when(pl.col(c).str.len_bytes() == 0).then(None).otherwise(pl.col(c)).alias(c) for c in df.columns
                )
                missing = [c for c in fields if c not in df.columns]
                df = df.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
                frames.append(
                    df.select(list(fields)).with_columns(
                        pl.lit(batch).alias("_batch"),
                        pl.lit(path.relative_to(landing).as_posix()).alias("_file"),
                        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_line"),
                    )
                )
    if not frames:
        return None
    df = pl.concat(frames, how="vertical")
    return df.with_columns(_typed(name, typ) for name, typ in fields.items())


def _latest(df: pl.DataFrame, key: list[str], order: list[str]) -> pl.DataFrame:
    """One row per key: the last one by `order`, then batch, file, line."""
    return df.sort(order + ORDER_OF_ARRIVAL).unique(subset=key, keep="last", maintain_order=True)


def _first(df: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    return df.sort(ORDER_OF_ARRIVAL).unique(subset=key, keep="first", maintain_order=True)


# --------------------------------------------------------------------------- fx


def _convert(
    df: pl.DataFrame,
    amount_cols: list[str],
    currency_col: str,
    date_col: str,
    fx: pl.DataFrame | None,
    base_currency: str,
) -> pl.DataFrame:
    """Multiply `amount_cols` by the rate of (`currency_col`, `date_col`) or the latest earlier one."""
    base = base_currency.upper()
    df = df.with_columns(pl.col(currency_col).str.to_uppercase().alias("_ccy"), pl.int_range(pl.len()).alias("_row"))
    if fx is not None and fx.height:
        rates = (
            fx.with_columns(pl.col("currency").str.to_uppercase().alias("_ccy"))
            .pipe(_latest, ["date", "_ccy"], [])  # later batch/file/line replaces
            .select(pl.col("date").alias("_rate_date"), "_ccy", pl.col("rate_to_base").alias("_rate"))
            .sort("_ccy", "_rate_date")
        )
        df = (
            df.sort("_ccy", date_col)
            .join_asof(
                rates, left_on=date_col, right_on="_rate_date", by="_ccy", strategy="backward", check_sortedness=False
            )
            .sort("_row")
        )
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias("_rate"))
    df = df.with_columns(pl.when(pl.col("_ccy") == base).then(pl.lit(1.0)).otherwise(pl.col("_rate")).alias("_rate"))
    missing = df.filter(pl.col("_rate").is_null())
    if missing.height:
        pairs = missing.select("_ccy", date_col).unique().sort(date_col).rows()[:5]
        raise ValueError(f"no fx rate on or before the attribution date for {pairs}")
    return df.with_columns(pl.col(c) * pl.col("_rate") for c in amount_cols).drop(
        "_ccy", "_row", "_rate", "_rate_date", strict=False
    )


# --------------------------------------------------------------------------- the last complete day


def last_complete_day(landing: Path) -> date | None:
    """kpis.md: "the latest batch day loaded": the latest `dt=` folder of any entity holding at
    least one record (a folder of empty files loads nothing). None when nothing is there."""
    latest = None
    for entity in Path(landing).glob("*/*"):
        if not entity.is_dir():
            continue
        for part in sorted((p for p in entity.iterdir() if p.is_dir() and p.name.startswith("dt=")), reverse=True):
            day = date.fromisoformat(part.name[len("dt=") :])
            if latest is not None and day <= latest:
                break
            files = [f for f in sorted(part.iterdir()) if f.is_file() and _file_format(f.name)]
            if any(_read_file(f, _file_format(f.name)).height for f in files):
                latest = day
                break
    return latest


# --------------------------------------------------------------------------- KPIs


def _ratio(num: str, den: str, scale: float = 1.0) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den) * scale).otherwise(None)


def compute_kpi_daily(
    landing: Path,
    tz: str = "Asia/Shanghai",
    base_currency: str = "CNY",
    home_country: str = "CN",
    refund_window_days: int = 30,
) -> pl.DataFrame:
    landing = Path(landing)

    def local_date(col: str) -> pl.Expr:
        return pl.col(col).dt.convert_time_zone(tz).dt.date()

    fx = read_entity(landing, "finance", "fx_rates")

    # ---- orders (latest state), their order date, money in base currency
    orders = read_entity(landing, "shop", "orders")
    if orders is None:
        orders = pl.DataFrame(
            schema={
                "order_id": pl.String,
                "customer_id": pl.String,
                "created_at": pl.Datetime("us", "UTC"),
                "updated_at": pl.Datetime("us", "UTC"),
                "status": pl.String,
                "currency": pl.String,
                "items_subtotal": pl.Float64,
                "discount_amount": pl.Float64,
                "total_amount": pl.Float64,
                "ship_country": pl.String,
                "_batch": pl.Date,
                "_file": pl.String,
                "_line": pl.Int64,
            }
        )
    orders = _latest(orders, ["order_id"], ["updated_at"]).with_columns(local_date("created_at").alias("order_date"))
    orders = _convert(
        orders, ["items_subtotal", "discount_amount", "total_amount"], "currency", "order_date", fx, base_currency
    ).with_columns(
        pl.col("status").is_in(PAID_STATUSES).alias("is_paid"),
        (pl.col("ship_country").str.strip_chars().str.to_uppercase() != home_country.upper()).alias("is_cross_border"),
    )
    paid = orders.filter("is_paid")

    # ---- order items of paid orders
    items = read_entity(landing, "shop", "order_items")
    units = pl.DataFrame(schema={"date": pl.Date, "units_sold": pl.Int64})
    if items is not None:
        items = _latest(items, ["order_id", "line_number"], [])
        units = (
            items.join(paid.select("order_id", "order_date"), on="order_id", how="inner")
            .group_by(pl.col("order_date").alias("date"))
            .agg(pl.col("quantity").sum().alias("units_sold"))
        )

    # ---- refunds (latest state = completed), at the order date of their order
    refunds = read_entity(landing, "shop", "refunds")
    refunded = pl.DataFrame(schema={"date": pl.Date, "refunded_amount": pl.Float64, "refunded_paid_orders": pl.UInt32})
    if refunds is not None:
        completed = (
            _latest(refunds, ["refund_id"], ["updated_at"])
            .filter(pl.col("status") == "completed")
            .join(orders.select("order_id", "order_date", "is_paid"), on="order_id", how="inner")
        )
        completed = _convert(completed, ["amount"], "currency", "order_date", fx, base_currency)
        refunded = completed.group_by(pl.col("order_date").alias("date")).agg(
            pl.col("amount").sum().alias("refunded_amount"),
            pl.col("order_id").filter(pl.col("is_paid")).n_unique().alias("refunded_paid_orders"),
        )

    order_days = orders.group_by(pl.col("order_date").alias("date")).agg(
        pl.len().alias("placed_orders"),
        pl.col("is_paid").sum().alias("paid_orders"),
        (pl.col("status") == "cancelled").sum().alias("cancelled_orders"),
        pl.col("items_subtotal").sum().alias("gmv"),
        pl.col("total_amount").filter(pl.col("is_paid")).sum().alias("gross_revenue"),
        pl.col("discount_amount").filter(pl.col("is_paid")).sum().alias("discount_amount"),
        (pl.col("is_paid") & pl.col("is_cross_border")).sum().alias("cross_border_orders"),
        pl.col("customer_id").filter(pl.col("is_paid")).n_unique().alias("buyers"),
    )

    # ---- customers: first paid order date
    customer_days = (
        paid.with_columns(pl.col("order_date").min().over("customer_id").alias("first_paid_date"))
        .group_by(pl.col("order_date").alias("date"))
        .agg(
            pl.col("customer_id")
            .filter(pl.col("first_paid_date") == pl.col("order_date"))
            .n_unique()
            .alias("new_customers"),
            pl.col("customer_id")
            .filter(pl.col("first_paid_date") < pl.col("order_date"))
            .n_unique()
            .alias("returning_customers"),
        )
    )

    # ---- traffic
    events = read_entity(landing, "traffic", "events")
    has_traffic = events is not None
    traffic_days = pl.DataFrame(schema={"date": pl.Date})
    session_days = pl.DataFrame(schema={"date": pl.Date})
    if has_traffic:
        events = _first(events, ["event_id"]).with_columns(local_date("event_ts").alias("event_date"))
        sessions = (
            events.sort("event_ts", "event_id")
            .group_by("session_id", maintain_order=True)
            .agg(
                pl.col("event_date").first().alias("date"),
                pl.col("event_name").first().alias("first_event_name"),
                pl.len().alias("n_events"),
                (pl.col("event_name") == "purchase").any().alias("purchased"),
                (pl.col("event_ts").max() - pl.col("event_ts").min()).dt.total_milliseconds().alias("duration_ms"),
            )
        )
        session_days = sessions.group_by("date").agg(
            pl.len().alias("sessions"),
            ((pl.col("n_events") == 1) & (pl.col("first_event_name") == "page_view")).sum().alias("bounces"),
            pl.col("purchased").sum().alias("converted"),
            (pl.col("duration_ms").sum() / 1000.0).alias("session_seconds"),
        )
        visitor_days = events.group_by(pl.col("event_date").alias("date")).agg(
            pl.col("anonymous_id").n_unique().alias("visitors"),
            pl.col("anonymous_id").filter(pl.col("event_name") == "purchase").n_unique().alias("purchasing_visitors"),
        )
        load_days = (
            events.filter((pl.col("event_name") == "page_view") & pl.col("page_load_ms").is_not_null())
            .group_by(pl.col("event_date").alias("date"))
            .agg(
                pl.col("page_load_ms").cast(pl.Float64).quantile(0.5, "linear").alias("page_load_p50_ms"),
                pl.col("page_load_ms").cast(pl.Float64).quantile(0.9, "linear").alias("page_load_p90_ms"),
            )
        )
        traffic_days = visitor_days.join(load_days, on="date", how="full", coalesce=True)

    # ---- service
    service = read_entity(landing, "service", "events")
    has_service = service is not None
    ticket_days = pl.DataFrame(schema={"date": pl.Date})
    if has_service:
        service = _first(service, ["event_id"])
        tickets = (
            service.filter(pl.col("event_type") == "ticket_created")
            .sort("event_ts", "event_id")
            .unique(subset=["ticket_id"], keep="first", maintain_order=True)
            .select("ticket_id", local_date("event_ts").alias("date"))
        )
        ratings = _latest(
            service.filter((pl.col("event_type") == "csat_rated") & pl.col("csat_score").is_not_null()),
            ["ticket_id"],
            ["event_ts"],
        ).select("ticket_id", "csat_score")
        ticket_days = (
            tickets.join(ratings, on="ticket_id", how="left")
            .group_by("date")
            .agg(
                pl.len().alias("tickets"),
                pl.col("csat_score").is_not_null().sum().alias("rated_tickets"),
                (pl.col("csat_score") >= 4).sum().alias("satisfied_tickets"),
            )
        )

    # ---- the date range
    starts = [orders.select(pl.col("order_date").alias("date"))]
    if has_traffic:
        starts.append(session_days.select("date"))
    if has_service:
        starts.append(ticket_days.select("date"))
    all_dates = pl.concat(starts).drop_nulls()
    if all_dates.height == 0:
        return _empty()
    first_day, last_day = all_dates["date"].min(), all_dates["date"].max()
    days = pl.DataFrame({"date": pl.date_range(first_day, last_day, "1d", eager=True)})

    df = days
    for part in (order_days, units, refunded, customer_days, session_days, traffic_days, ticket_days):
        df = df.join(part, on="date", how="left")

    zero_if_missing = [
        "placed_orders",
        "paid_orders",
        "cancelled_orders",
        "gmv",
        "gross_revenue",
        "discount_amount",
        "cross_border_orders",
        "units_sold",
        "refunded_amount",
        "refunded_paid_orders",
        "new_customers",
        "returning_customers",
        "buyers",
    ]
    if has_traffic:
        zero_if_missing += ["sessions", "bounces", "converted", "visitors", "session_seconds", "purchasing_visitors"]
    if has_service:
        zero_if_missing += ["tickets", "rated_tickets", "satisfied_tickets"]
    df = df.with_columns(pl.col(c).fill_null(0) for c in zero_if_missing)

    df = df.with_columns(
        (pl.col("gross_revenue") - pl.col("refunded_amount")).alias("net_revenue"),
        _ratio("gross_revenue", "paid_orders").alias("aov"),
        _ratio("cross_border_orders", "paid_orders").alias("cross_border_share"),
        _ratio("refunded_paid_orders", "paid_orders").alias("refund_rate"),
        _ratio("gross_revenue", "buyers").alias("revenue_per_buyer"),
    )
    # kpis.md is_final: at least refund_window_days before the last complete day
    last_day_loaded = last_complete_day(landing)
    df = df.with_columns(
        (
            pl.lit(False)
            if last_day_loaded is None
            else pl.col("date") <= pl.lit(last_day_loaded - timedelta(days=refund_window_days))
        ).alias("is_final")
    )
    if has_traffic:
        df = df.with_columns(
            _ratio("bounces", "sessions").alias("bounce_rate"),
            _ratio("converted", "sessions").alias("conversion_rate"),
            _ratio("purchasing_visitors", "visitors").alias("visitor_conversion_rate"),
            _ratio("session_seconds", "sessions").alias("avg_session_seconds"),
        )
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias(c) for c in ("sessions", "visitors")).with_columns(
            pl.lit(None, dtype=pl.Float64).alias(c)
            for c in (
                "bounce_rate",
                "conversion_rate",
                "visitor_conversion_rate",
                "avg_session_seconds",
                "page_load_p50_ms",
                "page_load_p90_ms",
            )
        )
    if has_service:
        df = df.with_columns(
            _ratio("tickets", "paid_orders", 100.0).alias("tickets_per_100_orders"),
            _ratio("satisfied_tickets", "rated_tickets").alias("csat"),
        )
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("tickets")).with_columns(
            pl.lit(None, dtype=pl.Float64).alias(c) for c in ("tickets_per_100_orders", "csat")
        )

    return _finish(df)


def _finish(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        pl.col("date"),
        *[
            pl.col(c).cast(pl.Int64)
            if c in INT_COLUMNS
            else pl.col(c).cast(pl.Boolean)
            if c in BOOL_COLUMNS
            else pl.col(c).cast(pl.Float64).round(2)
            if c in MONEY_COLUMNS
            else pl.col(c).cast(pl.Float64)
            for c in KPI_COLUMNS[1:]
        ],
    ).sort("date")


def _empty() -> pl.DataFrame:
    schema = {
        c: (
            pl.Date
            if c == "date"
            else pl.Int64
            if c in INT_COLUMNS
            else pl.Boolean
            if c in BOOL_COLUMNS
            else pl.Float64
        )
        for c in KPI_COLUMNS
    }
    return pl.DataFrame(schema=schema)
