"""The landing-file contract of ../shared/spec/sources.md, as data.

One `Entity` per landing folder `<system>/<entity>`. The reader, the simulator, the raw
tables, the quality suites and the dbt sources are all generated from this module, so the
contract is written down exactly once. The descriptions here (entities, fields, metadata
columns) are the documentation of the raw tables: `ingest/dbt_sources.py` renders them, with
types and enum values, into transform/models/staging/_sources.yml and the enum lists of the dbt
tests (`scripts/generate-dbt-sources`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Field types of the contract and the DuckDB type a loaded value gets in the raw tables.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "enum": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "decimal": "DECIMAL(18,4)",
    "int": "BIGINT",
    "bool": "BOOLEAN",
}

# Reason codes of quarantined rows (ops.quarantine.reason), first failing check wins in this order.
REASONS = (
    "malformed",  # JSON that does not parse / not an object, CSV row with the wrong number of fields
    "missing_required",  # a required field is absent, null or empty
    "bad_type",  # a value that does not parse as the field's type
    "no_offset",  # a timestamp without a UTC offset
    "unknown_enum",  # a value outside the field's enum set
    "negative_amount",  # a money amount below zero
    "out_of_range",  # a value outside its documented range (ints >= 1, birth_year, csat 1..5, rate > 0)
    "future_timestamp",  # later than the end of the batch day (reporting zone) plus one day
)

# What the raw schema is (the description of the dbt source `raw`).
RAW_DOC = (
    "Landing files as loaded by ingest (ingest/contract.py): one table per entity of the contract, typed, with "
    "lineage columns. Tables always exist (ingest creates them) but may be empty when a system sends nothing."
)

# Metadata columns every raw table carries after the contract's fields.
RAW_METADATA_COLUMNS = {
    "_batch_dt": "DATE",
    "_file": "VARCHAR",
    "_line": "BIGINT",
    "_row_hash": "UBIGINT",
}
RAW_METADATA_DOCS = {
    "_batch_dt": "Batch day (`dt=` partition) the row arrived in.",
    "_file": "Landing file of the row, relative to the landing root.",
    "_line": "1-based line of the record in its file (CSV: the header is line 1; Parquet: row number).",
    "_row_hash": "Hash of the typed field values, used at ingest to drop exact duplicates.",
}

SOURCE_FORMATS = ("csv", "csv.gz", "jsonl", "jsonl.gz", "parquet")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a key of DUCKDB_TYPES
    required: bool = False
    enum: tuple[str, ...] | None = None
    min_value: float | None = None  # inclusive lower bound (reason out_of_range, or negative_amount for money)
    max_value: float | None = None  # inclusive upper bound; the sentinel "current_year" is resolved at ingest
    exclusive_min: bool = False  # True: value must be > min_value
    pii: bool = False  # personal data: hashed or dropped in staging
    scale: int = 4  # decimals: digits kept after the point (money 4, exchange rates 10)
    doc: str | None = None  # what the field holds, when it differs from FIELD_DOCS[name]
    pattern: str | None = None  # strings: a regular expression the whole value must match (else bad_type)
    pattern_doc: str | None = None  # the pattern as a reader says it ("a month (YYYY-MM)")

    @property
    def description(self) -> str:
        """What the field holds (without "Required." or its enum values: those come from the fields above)."""
        return self.doc if self.doc is not None else FIELD_DOCS[self.name]

    @property
    def duckdb_type(self) -> str:
        if self.type == "decimal":
            return f"DECIMAL(18,{self.scale})"
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class RowRule:
    """A rule between fields of one record, beyond each field's own type, enum and range: a
    record for which `condition` (DuckDB SQL over the typed values, `t_<field>`, see
    ingest/checks.py) is true is quarantined with `reason`, `detail` saying why."""

    reason: str  # a code of REASONS
    field: str  # the field the detail names
    condition: str  # SQL, true when the record breaks the rule
    detail: str  # plain text appended to "<field>: '<value>' "
    doc: str  # the rule in a sentence (docs, the quality gate's descriptions)


@dataclass(frozen=True)
class Entity:
    system: str
    entity: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    change_capture: bool = False  # latest updated_at wins in the model layer
    usual_format: str = "csv"
    doc: str = ""  # what one row is and how rows arrive (landing folder and key are added where it is rendered)
    optional: bool = False  # a shop may never send it: then its raw table stays empty and nothing fails
    last_arrival_wins: bool = False  # no updated_at: a row re-sent in a later batch replaces the old one
    rules: tuple[RowRule, ...] = ()  # cross-field rules (quarantined with their reason)

    @property
    def name(self) -> str:
        """`shop_orders`: the raw table name (schema `raw`) and the asset name suffix."""
        return f"{self.system}_{self.entity}"

    @property
    def folder(self) -> str:
        return f"{self.system}/{self.entity}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _s(name, required=False, pii=False, doc=None):
    return Field(name, "string", required=required, pii=pii, doc=doc)


def _ts(name, required=False):
    return Field(name, "timestamp", required=required)


def _money(name, required=False, doc=None):
    return Field(name, "decimal", required=required, min_value=0, doc=doc)


def _date(name, required=False, doc=None):
    return Field(name, "date", required=required, doc=doc)


def _count(name, required=False, doc=None):
    return Field(name, "int", required=required, min_value=0, doc=doc)


def _enum(name, values, required=False, doc=None):
    return Field(name, "enum", required=required, enum=tuple(values), doc=doc)


PLATFORMS = ("web", "app", "mini_program")
ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled")
PAYMENT_METHODS = ("alipay", "wechat_pay", "card", "paypal", "cash_on_delivery")
PAYMENT_STATUSES = ("pending", "succeeded", "failed")
REFUND_REASONS = ("defective", "wrong_item", "not_as_described", "size_fit", "changed_mind", "late_delivery", "other")
REFUND_STATUSES = ("requested", "approved", "rejected", "completed")
KNOWN_EVENT_NAMES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "share",
)
PAGE_TYPES = ("home", "category", "product", "search", "cart", "checkout", "confirmation", "content", "live")
DEVICE_TYPES = ("mobile", "desktop", "tablet")
SERVICE_EVENT_TYPES = (
    "ticket_created",
    "customer_message",
    "agent_message",
    "bot_message",
    "status_changed",
    "ticket_solved",
    "ticket_reopened",
    "csat_rated",
)
SERVICE_CHANNELS = ("chat", "email", "phone", "social")
SERVICE_CATEGORIES = (
    "pre_sale",
    "order_status",
    "shipping",
    "return_refund",
    "payment",
    "product_quality",
    "complaint",
    "account",
    "other",
)
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATUSES = ("open", "pending", "solved", "closed")
# plan/targets: the metrics management sets monthly targets for (`spend` is the one where lower is
# better), and those of them that may carry a channel (the others are whole-shop only)
TARGET_METRICS = (
    "gmv",
    "gross_revenue",
    "net_revenue",
    "gross_margin",
    "paid_orders",
    "new_customers",
    "sessions",
    "conversion_rate",
    "aov",
    "spend",
    "attributed_revenue",
)
TARGET_CHANNEL_METRICS = ("sessions", "new_customers", "spend", "attributed_revenue")
TARGET_LOWER_IS_BETTER = ("spend",)
MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"

_PII = "Personal data: never selected past staging (hashed there)."

# What a field holds, by field name: a name means the same in every entity that has it (a field's
# own `doc` overrides this). Where the text is rendered, "Required." and the enum's values follow.
FIELD_DOCS = {
    # ids and the fields many entities share
    "customer_id": "Customer id of the shop system.",
    "product_id": "Product id.",
    "order_id": "Order id.",
    "session_id": "Traffic session id.",
    "currency": "ISO-4217 currency code of the row's amounts.",
    "country": "ISO-3166 alpha-2 country code.",
    "created_at": "When the record was created (instant).",
    "updated_at": "When this version of the record was written (instant); the latest wins.",
    "status": "Status of this version of the record.",
    "platform": "Platform: web, app or mini_program.",
    "category": "Product category.",
    "discount_amount": "Discount, in the row's currency.",
    "quantity": "Units, >= 1.",
    "amount": "Amount in `currency`, >= 0.",
    "ip_address": f"IP address. {_PII}",
    "event_id": "Event id, the dedupe key.",
    "event_ts": "When the event happened (instant; client time for traffic events).",
    "date": "Calendar date of the row.",
    # shop/customers
    "signup_at": "When the customer signed up (instant).",
    "email": f"Email address. {_PII}",
    "phone": f"Phone number. {_PII}",
    "full_name": f"Full name. {_PII}",
    "birth_year": "Year of birth, 1900..year of the batch day.",
    "region": "Region / province.",
    "city": "City.",
    # shop/products
    "title": "Product title.",
    "subcategory": "Product subcategory.",
    "brand": "Brand.",
    "list_price": "List price in `currency`, >= 0.",
    "unit_cost": "Unit cost in `currency`, >= 0.",
    "launched_at": "When the product was launched (instant).",
    "is_active": "Whether the product is on sale.",
    # shop/orders
    "coupon_code": "Coupon code used on the order, if any.",
    "items_subtotal": "Sum of the order's items before discount, in `currency`.",
    "shipping_fee": "Shipping fee, in `currency`.",
    "tax_amount": "Tax, in `currency`.",
    "total_amount": (
        "Order total = items_subtotal - discount_amount + shipping_fee + tax_amount (within 0.01), in `currency`."
    ),
    "ship_country": "ISO-3166 alpha-2 country the order ships to (cross-border when not the home country).",
    "ship_region": "Region the order ships to.",
    "device_id": f"Device id of the order. {_PII}",
    "carrier": "Logistics company carrying the order, once known (optional).",
    "promised_delivery_date": "Local date of delivery promised to the customer (optional).",
    # shop/order_items
    "line_number": "Line number within the order, >= 1.",
    "unit_price": "Unit price in the order's currency.",
    # shop/payments
    "payment_id": "Payment id.",
    "method": "Payment method.",
    # shop/refunds
    "refund_id": "Refund id.",
    "reason": "Refund reason.",
    "requested_at": "When the refund was requested (instant).",
    # traffic/events
    "anonymous_id": "Device/cookie id. Personal data (treated as a device id): never selected past staging (hashed there).",
    "user_id": "Customer id when the visitor is logged in.",
    "event_name": f"Event name; known: {', '.join(KNOWN_EVENT_NAMES)}. Other names are kept.",
    "page_type": "Type of the page the event happened on.",
    "page_url": "URL of the page.",
    "referrer": "Referrer URL.",
    "utm_source": "UTM source.",
    "utm_medium": "UTM medium.",
    "utm_campaign": "UTM campaign (matches marketing spend `campaign`).",
    "device_type": "mobile, desktop or tablet.",
    "search_query": "Search text of `search` events.",
    "value": "Monetary value of the event in `currency`.",
    "page_load_ms": "Page load time in milliseconds, on page views.",
    "experiment_id": "A/B experiment the event's visitor is assigned to.",
    "variant": "Variant of the A/B assignment.",
    # service/events
    "ticket_id": "Service ticket id.",
    "event_type": "Service event type.",
    "priority": "Ticket priority.",
    "agent_id": "Agent id of agent messages.",
    "new_status": "New ticket status, on status_changed.",
    "csat_score": "Customer satisfaction score 1..5, on csat_rated.",
    # marketing/spend
    "campaign": "Campaign name (matches `utm_campaign`).",
    "impressions": "Ad impressions.",
    "clicks": "Ad clicks.",
    "spend": "Spend in `currency`, >= 0.",
    # shop/inventory
    "warehouse_id": "Warehouse id.",
    "on_hand": "Units available to sell at the end of the day, >= 0.",
    "inbound": "Units ordered from suppliers and not yet received, >= 0.",
    # plan/targets
    "month": "Calendar month of the target, `YYYY-MM`.",
    "metric": "KPI the target is for (kpis.md names); `spend` is the one where lower is better.",
    # finance/fx_rates
    "rate_to_base": "1 unit of `currency` = `rate_to_base` units of the base currency; > 0.",
}

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "shop",
        "customers",
        (
            _s("customer_id", True),
            _ts("signup_at", True),
            _s("email", pii=True),
            _s("phone", pii=True),
            _s("full_name", pii=True),
            Field("birth_year", "int", min_value=1900, max_value="current_year"),  # type: ignore[arg-type]
            _s("country", True),
            _s("region"),
            _s("city"),
            _ts("updated_at", True),
        ),
        key=("customer_id",),
        change_capture=True,
        doc=(
            "Customers of the shop system, one row per new or changed customer (change capture: the latest "
            "`updated_at` wins). Holds personal data (email, phone, full_name) in clear text: only staging reads "
            "it, and hashes it."
        ),
    ),
    Entity(
        "shop",
        "products",
        (
            _s("product_id", True),
            _s("title", True),
            _s("category", True),
            _s("subcategory"),
            _s("brand"),
            _money("list_price", True),
            _money("unit_cost"),
            _s("currency", True),
            _ts("launched_at", True),
            Field("is_active", "bool", required=True),
            _ts("updated_at", True),
        ),
        key=("product_id",),
        change_capture=True,
        doc=("Product catalogue, one row per new or changed product (change capture: the latest `updated_at` wins)."),
    ),
    Entity(
        "shop",
        "orders",
        (
            _s("order_id", True),
            _s("customer_id", True),
            _ts("created_at", True),
            _ts("updated_at", True),
            _enum("status", ORDER_STATUSES, True),
            _enum("platform", PLATFORMS, True),
            _s("session_id"),
            _s("coupon_code"),
            _s("currency", True),
            _money("items_subtotal", True),
            _money("discount_amount", True),
            _money("shipping_fee", True),
            _money("tax_amount", True),
            _money("total_amount", True),
            _s("ship_country", True),
            _s("ship_region"),
            _s("device_id", pii=True),
            _s("ip_address", pii=True),
            _s("carrier"),
            _date("promised_delivery_date"),
        ),
        key=("order_id",),
        change_capture=True,
        doc=(
            "Orders, one row per order change (change capture: the latest `updated_at` wins). `device_id` and "
            "`ip_address` are personal data. `carrier` and `promised_delivery_date` are optional: a shop may "
            "never send them (the columns may be absent from its files)."
        ),
    ),
    Entity(
        "shop",
        "order_items",
        (
            _s("order_id", True),
            Field("line_number", "int", required=True, min_value=1),
            _s("product_id", True),
            Field("quantity", "int", required=True, min_value=1),
            _money("unit_price", True),
            _money("discount_amount", True),
        ),
        key=("order_id", "line_number"),
        doc="Order lines, sent once in the batch of the order's creation. Amounts are in the order's currency.",
    ),
    Entity(
        "shop",
        "payments",
        (
            _s("payment_id", True),
            _s("order_id", True),
            _enum("method", PAYMENT_METHODS, True),
            _enum("status", PAYMENT_STATUSES, True),
            _money("amount", True),
            _s("currency", True),
            _ts("created_at", True),
            _ts("updated_at", True),
        ),
        key=("payment_id",),
        change_capture=True,
        doc=("Payment attempts, one row per attempt or status change (change capture: the latest `updated_at` wins)."),
    ),
    Entity(
        "shop",
        "refunds",
        (
            _s("refund_id", True),
            _s("order_id", True),
            _s("product_id"),
            Field("quantity", "int", min_value=1),
            _money("amount", True),
            _s("currency", True),
            _enum("reason", REFUND_REASONS, True),
            _enum("status", REFUND_STATUSES, True),
            _ts("requested_at", True),
            _ts("updated_at", True),
        ),
        key=("refund_id",),
        change_capture=True,
        doc="After-sales refunds, one row per refund change (change capture: the latest `updated_at` wins).",
    ),
    Entity(
        "traffic",
        "events",
        (
            _s("event_id", True),
            _ts("event_ts", True),
            _s("anonymous_id", True, pii=True),
            _s("user_id"),
            _s("session_id", True),
            _s("event_name", True),
            _enum("page_type", PAGE_TYPES),
            _s("page_url"),
            _s("referrer"),
            _s("utm_source"),
            _s("utm_medium"),
            _s("utm_campaign"),
            _enum("platform", PLATFORMS, True),
            _enum("device_type", DEVICE_TYPES),
            _s("country"),
            _s("product_id"),
            _s("search_query"),
            _s("order_id"),
            _money("value"),
            _s("currency"),
            Field("page_load_ms", "int", min_value=0),
            _s("experiment_id"),
            _s("variant"),
            _s("ip_address", pii=True),
        ),
        key=("event_id",),
        usual_format="jsonl",
        doc=(
            "Append-only clickstream from web, app and mini program. Exact duplicates are dropped at ingest; "
            "the same `event_id` may still arrive twice with different content (client retries)."
        ),
    ),
    Entity(
        "service",
        "events",
        (
            _s("event_id", True),
            _s("ticket_id", True),
            _ts("event_ts", True),
            _enum("event_type", SERVICE_EVENT_TYPES, True),
            _enum("channel", SERVICE_CHANNELS, doc="Contact channel of the ticket, set on ticket_created."),
            _enum("category", SERVICE_CATEGORIES, doc="Ticket category, set on ticket_created."),
            _enum("priority", PRIORITIES),
            _s("customer_id"),
            _s("order_id"),
            _s("agent_id"),
            _enum("new_status", TICKET_STATUSES),
            Field("csat_score", "int", min_value=1, max_value=5),
        ),
        key=("event_id",),
        usual_format="jsonl",
        doc="Append-only customer-service ticket log: every event of every ticket.",
    ),
    Entity(
        "marketing",
        "spend",
        (
            Field("date", "date", required=True),
            _s(
                "channel", True, doc="Marketing channel: a channel name of the channel rules (seeds/channel_rules.csv)."
            ),
            _s("campaign", True),
            Field("impressions", "int", min_value=0),
            Field("clicks", "int", min_value=0),
            _money("spend", True),
            _s("currency", True),
        ),
        key=("date", "channel", "campaign"),
        doc="Daily ad spend per channel and campaign; a row re-sent in a later batch replaces the old one.",
    ),
    Entity(
        "shop",
        "inventory",
        (
            _date("date", True, doc="Local day the snapshot describes (stock at the end of that day)."),
            _s("product_id", True),
            _s("warehouse_id", True),
            _count("on_hand", True),
            _count("inbound"),
        ),
        key=("date", "product_id", "warehouse_id"),
        optional=True,
        last_arrival_wins=True,
        doc=(
            "Optional: daily stock snapshots, one row per (date, product_id, warehouse_id); a row re-sent in a "
            "later batch replaces the old one. A shop that never sends it leaves the table empty."
        ),
    ),
    Entity(
        "plan",
        "targets",
        (
            Field("month", "string", required=True, pattern=MONTH_PATTERN, pattern_doc="a month (YYYY-MM)"),
            _enum("metric", TARGET_METRICS, True),
            _s(
                "channel",
                doc=(
                    "Marketing channel of the target (a channel name of the channel rules); null = the whole shop. "
                    f"Set only for {', '.join(TARGET_CHANNEL_METRICS)}."
                ),
            ),
            _money("value", True, doc="Target value, >= 0: money in the base currency, ratios as fractions."),
            _ts("updated_at", True),
        ),
        key=("month", "metric", "channel"),
        change_capture=True,
        optional=True,
        rules=(
            RowRule(
                "out_of_range",
                "channel",
                "t_channel IS NOT NULL AND t_metric NOT IN ("
                + ", ".join(f"'{m}'" for m in TARGET_CHANNEL_METRICS)
                + ")",
                f"is set, but only targets of {', '.join(TARGET_CHANNEL_METRICS)} may name a channel",
                f"Only targets of {', '.join(TARGET_CHANNEL_METRICS)} name a channel; the others are whole-shop.",
            ),
        ),
        doc=(
            "Optional: monthly targets set by management, one row per new or changed target (change capture: the "
            "latest `updated_at` wins); channel null = the whole shop. A shop that never sends it leaves the "
            "table empty."
        ),
    ),
    Entity(
        "finance",
        "fx_rates",
        (
            Field("date", "date", required=True),
            _s("currency", True),
            Field("rate_to_base", "decimal", required=True, min_value=0, exclusive_min=True, scale=10),
        ),
        key=("date", "currency"),
        doc=(
            "Daily exchange rates to the base currency; a later batch's rate for the same (date, currency) "
            "replaces the earlier one."
        ),
    ),
)

ENTITY_BY_NAME = {e.name: e for e in ENTITIES}

# The systems whose folders a shop may not send at all (only the order system is mandatory), and
# the entities a shop may never send (the optional entities of the second edition, and every entity
# of an optional system).
OPTIONAL_SYSTEMS = ("traffic", "service", "marketing", "finance", "plan")
OPTIONAL_ENTITIES = tuple(e.name for e in ENTITIES if e.optional or e.system in OPTIONAL_SYSTEMS)


def raw_table_ddl(entity: Entity, schema: str = "raw") -> str:
    cols = [f'"{f.name}" {f.duckdb_type}' for f in entity.fields]
    cols += [f"{name} {typ}" for name, typ in RAW_METADATA_COLUMNS.items()]
    return f"CREATE TABLE IF NOT EXISTS {schema}.{entity.name} (\n  " + ",\n  ".join(cols) + "\n)"
