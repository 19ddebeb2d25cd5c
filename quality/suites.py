"""The expectation suites of the raw entities, as plain data generated from `ingest/contract.py`.

Nothing here imports great-expectations: the Dagster definitions read the check names from this
module at load time, and GX (slow to import) is loaded only when a run validates something
(`quality/gx_runner.py`).

Each raw entity gets three suites, one per frame they look at (`quality/frames.py`):

- `raw.<entity>.schema`: one row per column of the raw table (name and DuckDB type);
- `raw.<entity>`: the rows of the run's batch days (only the columns the suite needs);
- `raw.<entity>.batches`: one row per batch day of the run that arrived (volume, quarantine, and
  the shares of rows breaking the cross-row rules).

Every expectation belongs to one *check*: the unit that becomes a blocking Dagster asset check on
the raw asset and a row of `ops.check_results`. The rules and what each guards against are in
docs/data-quality.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ingest import ENTITY_BY_NAME, Entity

# Row-count bounds: rows loaded in a batch day against the median m of the batch days that arrived
# before it. The bounds are the widest of a ratio (0.2 m .. 5 m: what matters for a large shop), of
# Poisson noise (m -/+ 5 sqrt(m), plus 5 rows above: a shop of 3 orders a day) and, above, twice the
# busiest of those days (rows that come in bursts, such as a ticket's events), so a quiet Sunday of a
# small shop is never out of bounds and a truncated export of a large one is (docs/data-quality.md).
VOLUME_HISTORY = 28  # batch days looked back on
VOLUME_MIN_HISTORY = 7  # fewer earlier batch days: not judged
VOLUME_MIN_RATIO, VOLUME_MAX_RATIO = 0.2, 5.0
VOLUME_NOISE_SIGMAS = 5.0
VOLUME_NOISE_FLOOR = 5  # rows added to the upper bound: a median of 0 or 1 row allows a handful
VOLUME_PEAK_FACTOR = 2.0  # times the busiest of the batch days before
# Delivery gap: an entity with rows on each of this many days before a batch day, and none on it.
GAP_STREAK_DAYS = 28

# Checks that judge volume or arrival: a shop's natural variance, so they warn (recorded and shown)
# and do not block publishing, unless the shop opts in (WAREHOUSE_BLOCKING_CHECKS). Every other
# check guards the contract and blocks.
OPT_IN_CHECKS = ("row_count_bounds", "delivery_gap")

# Arithmetic identity of an order: total = subtotal - discount + shipping + tax, within a cent.
TOTAL_TOLERANCE = 0.01

# Entities whose rows point to an order (order_known).
ORDER_CHILDREN = ("shop_order_items", "shop_payments", "shop_refunds")
ORDERS = "shop_orders"

SCHEMA, ROWS, BATCHES = "schema", "rows", "batches"

# Derived columns of the rows frame (computed in DuckDB, see frames.py).
TS_LIMIT = "_ts_limit"  # (batch day + 2 days) 00:00 in the reporting zone: no timestamp at or after it
BATCH_YEAR = "_batch_year"  # year of the batch day: birth_year may not exceed it
KEY_HASH = "_key_hash"  # DuckDB's hash() of a compound key's columns (see first_pass)


@dataclass(frozen=True)
class Expectation:
    """One GX expectation: `gx_class` of `great_expectations.expectations` with `kwargs`."""

    check: str  # the check it belongs to
    frame: str  # SCHEMA, ROWS or BATCHES
    gx_class: str
    kwargs: dict[str, Any]
    # batch frame only: the columns that say how many rows a failing batch day affects and why
    rows_column: str | None = None
    detail_column: str | None = None
    # batch frame only: a passing check still quotes the batch days with rows breaking its rule
    # (a share within its tolerance)
    quotes_tolerated: bool = False

    @property
    def type(self) -> str:
        """`expect_column_values_to_not_be_null`: GX's name of the expectation type."""
        out = []
        for ch in self.gx_class:
            if ch.isupper() and out:
                out.append("_")
            out.append(ch.lower())
        return "".join(out)

    def label(self) -> str:
        """The expectation as one readable phrase: `expect_column_values_to_be_in_set(status in {paid, ...})`."""
        k = self.kwargs
        if "column_A" in k:
            op = ">=" if k.get("or_equal") else ">"
            args = f"{k['column_A']} {op} {k['column_B']}"
        elif "column_list" in k:
            args = ", ".join(k["column_list"])
        else:
            args = k.get("column", "")
            if "value_set" in k and self.frame == ROWS:
                values = list(k["value_set"])
                shown = ", ".join(map(str, values[:6])) + (", ..." if len(values) > 6 else "")
                args += f" in {{{shown}}}"
            if "min_value" in k or "max_value" in k:
                lo, hi = k.get("min_value"), k.get("max_value")
                lo_op = ">" if k.get("strict_min") else ">="
                hi_op = "<" if k.get("strict_max") else "<="
                parts = [f"{lo_op} {lo:g}" if lo is not None else "", f"{hi_op} {hi:g}" if hi is not None else ""]
                args += " " + " and ".join(p for p in parts if p)
        return f"{self.type}({args})"


@dataclass(frozen=True)
class Check:
    """An asset check of a raw asset: a named group of expectations. It blocks publishing when it
    fails, unless it is one of OPT_IN_CHECKS (then it warns unless the shop opted in)."""

    name: str
    description: str
    expectations: tuple[Expectation, ...] = field(default_factory=tuple)

    @property
    def opt_in(self) -> bool:
        return self.name in OPT_IN_CHECKS


@dataclass(frozen=True)
class CheckSpec:
    """What the Dagster asset declares of a check of `entity`."""

    entity: str
    name: str
    description: str
    opt_in: bool

    def blocks(self, chosen: Callable[[str, str], bool]) -> bool:
        """Whether a failure stops the run; `chosen(entity, check)` says if the shop opted in."""
        return not self.opt_in or chosen(self.entity, self.name)


def _fields(entity: Entity, predicate) -> list:
    return [f for f in entity.fields if predicate(f)]


def _schema_check(entity: Entity, contract_columns: list[str]) -> Check:
    exp = Expectation(
        "contract_schema",
        SCHEMA,
        "ExpectColumnDistinctValuesToEqualSet",
        {"column": "column_def", "value_set": contract_columns},
    )
    return Check(
        "contract_schema",
        f"raw.{entity.name} has exactly the contract's columns with their types, plus the ingest metadata columns.",
        (exp,),
    )


def _required_check(entity: Entity) -> Check:
    names = entity.required
    exps = tuple(Expectation("required_not_null", ROWS, "ExpectColumnValuesToNotBeNull", {"column": n}) for n in names)
    return Check("required_not_null", "Required fields are never null: " + ", ".join(names) + ".", exps)


def _enum_check(entity: Entity) -> Check | None:
    fields = _fields(entity, lambda f: f.enum)
    if not fields:
        return None
    exps = tuple(
        Expectation("enum_values", ROWS, "ExpectColumnValuesToBeInSet", {"column": f.name, "value_set": list(f.enum)})
        for f in fields
    )
    return Check(
        "enum_values", "Enum fields hold only the contract's values: " + ", ".join(f.name for f in fields) + ".", exps
    )


def _range_check(entity: Entity) -> Check:
    exps = []
    for f in entity.fields:
        if f.min_value is not None:
            kwargs: dict[str, Any] = {"column": f.name, "min_value": f.min_value}
            if f.exclusive_min:
                kwargs["strict_min"] = True
            if isinstance(f.max_value, (int, float)):
                kwargs["max_value"] = f.max_value
            exps.append(Expectation("value_ranges", ROWS, "ExpectColumnValuesToBeBetween", kwargs))
        if f.max_value == "current_year":
            exps.append(
                Expectation(
                    "value_ranges",
                    ROWS,
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    {
                        "column_A": BATCH_YEAR,
                        "column_B": f.name,
                        "or_equal": True,
                        "ignore_row_if": "either_value_is_missing",
                    },
                )
            )
        if f.type == "timestamp":
            exps.append(
                Expectation(
                    "value_ranges",
                    ROWS,
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    {
                        "column_A": TS_LIMIT,
                        "column_B": f.name,
                        "or_equal": False,
                        "ignore_row_if": "either_value_is_missing",
                    },
                )
            )
    bounded = [f.name for f in entity.fields if f.min_value is not None or f.max_value is not None]
    stamps = [f.name for f in entity.fields if f.type == "timestamp"]
    parts = []
    if bounded:
        parts.append("bounded fields stay in the contract's ranges (" + ", ".join(bounded) + ")")
    if stamps:
        parts.append("no timestamp is at or after the end of its batch day plus one day (local)")
    return Check("value_ranges", "; ".join(parts).capitalize() + ".", tuple(exps))


def key_columns(entity: Entity) -> list[str]:
    """What must be unique within one batch day after ingest dropped the exact duplicates.

    Append-only entities: the key. Change-captured entities: several versions of one key in a
    batch are legitimate, even two with the same `updated_at` (design.md: the later file and line
    win), so the key plus the row hash: no version arrives twice.
    """
    return ["_batch_dt", *entity.key, *(["_row_hash"] if entity.change_capture else [])]


def _key_check(entity: Entity) -> Check:
    cols = key_columns(entity)
    exp = Expectation("key_unique", ROWS, "ExpectCompoundColumnsToBeUnique", {"column_list": cols})
    what = (
        f"({', '.join(entity.key)})"
        if not entity.change_capture
        else (
            f"each version of ({', '.join(entity.key)}) (key and row hash; several versions of a key are change capture)"
        )
    )
    return Check("key_unique", f"Within a batch day {what} occurs once after de-duplication.", (exp,))


def first_pass(e: Expectation) -> Expectation:
    """The form of a row expectation validated first over every row.

    A compound key's uniqueness is validated first on one column, the 64-bit hash of the key's
    columns: pandas finds duplicates of numbers in a fraction of the time it takes for the strings
    of a key (`duplicated` over (batch day, event_id) was a third of the gate's time on a year of
    events). Equal keys have equal hashes, so this pass never misses a duplicate; a key it flags
    is judged again by the exact expectation (the gate's second pass), so a hash collision cannot
    fail a check. Every other expectation is its own first pass.
    """
    if e.gx_class != "ExpectCompoundColumnsToBeUnique":
        return e
    return Expectation(e.check, e.frame, "ExpectColumnValuesToBeUnique", {"column": KEY_HASH})


def _volume_check() -> Check:
    # volume_position: where the day's rows fall between the lower (0) and upper (1) bound
    exp = Expectation(
        "row_count_bounds",
        BATCHES,
        "ExpectColumnValuesToBeBetween",
        {"column": "volume_position", "min_value": 0, "max_value": 1},
        rows_column="rows_loaded",
        detail_column="volume_detail",
    )
    return Check(
        "row_count_bounds",
        f"Rows loaded per batch day stay within the widest of {VOLUME_MIN_RATIO:g}x.."
        f"{VOLUME_MAX_RATIO:g}x and -/+ {VOLUME_NOISE_SIGMAS:g} sqrt (+{VOLUME_NOISE_FLOOR} rows above) "
        f"of the median of the {VOLUME_HISTORY} batch days that arrived before it, and at most "
        f"{VOLUME_PEAK_FACTOR:g}x the busiest of them above (judged once {VOLUME_MIN_HISTORY} arrived). "
        "Warns unless opted in.",
        (exp,),
    )


def _gap_check() -> Check:
    exp = Expectation(
        "delivery_gap",
        BATCHES,
        "ExpectColumnValuesToBeBetween",
        {"column": "delivery_gap", "min_value": 0, "max_value": 0},
        rows_column="gap_rows",
        detail_column="gap_detail",
    )
    return Check(
        "delivery_gap",
        f"An entity that delivered rows on each of the {GAP_STREAK_DAYS} days before a "
        "batch day delivers some on it. Warns unless opted in.",
        (exp,),
    )


def _share_check(name: str, column: str, rows_column: str, detail_column: str, max_share: float, what: str) -> Check:
    exp = Expectation(
        name,
        BATCHES,
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": 0, "max_value": max_share},
        rows_column=rows_column,
        detail_column=detail_column,
        quotes_tolerated=True,
    )
    return Check(name, f"{what} stays within WAREHOUSE_MAX_QUARANTINE_SHARE per batch day.", (exp,))


def raw_checks(entity: Entity, max_share: float = 0.05, contract_columns: list[str] | None = None) -> list[Check]:
    """Every check of a raw entity, in the order they are reported.

    `contract_columns` (`name TYPE` of every raw column) is needed only to validate; the names
    and descriptions (for the Dagster check specs) do not depend on it.
    """
    checks = [
        _schema_check(entity, contract_columns or []),
        _required_check(entity),
        _enum_check(entity),
        _range_check(entity),
        _key_check(entity),
        _volume_check(),
        _gap_check(),
        _share_check(
            "quarantine_share",
            "quarantined_share",
            "rows_quarantined",
            "quarantine_detail",
            max_share,
            "The quarantined share of a batch day's rows",
        ),
    ]
    if entity.name == ORDERS:
        checks.append(
            _share_check(
                "order_total_identity",
                "bad_total_share",
                "bad_total_rows",
                "bad_total_detail",
                max_share,
                f"The share of order rows whose total_amount differs from items_subtotal - discount_amount + shipping_fee "
                f"+ tax_amount by more than {TOTAL_TOLERANCE:g}",
            )
        )
    if entity.name in ORDER_CHILDREN:
        checks.append(
            _share_check(
                "order_known",
                "unknown_order_share",
                "unknown_order_rows",
                "unknown_order_detail",
                max_share,
                "The share of rows whose order_id is not in raw.shop_orders up to their batch day",
            )
        )
    return [c for c in checks if c is not None]


def check_names(entity_name: str) -> list[tuple[str, str]]:
    """(name, description) of every check of a raw entity."""
    return [(c.name, c.description) for c in raw_checks(ENTITY_BY_NAME[entity_name])]


def check_specs(entity: Entity) -> list[CheckSpec]:
    """Every check of a raw entity as the Dagster asset declares it."""
    return [CheckSpec(entity.name, c.name, c.description, c.opt_in) for c in raw_checks(entity)]


def upstream_entities(entity: Entity) -> list[str]:
    """Raw entities that must be loaded before this one is validated (its rows point into them)."""
    return [ORDERS] if entity.name in ORDER_CHILDREN else []
