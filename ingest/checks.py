"""The contract checks as one DuckDB statement, generated from `ingest.contract`.

Input: a relation with `_file_idx`, `_batch_dt`, `_line`, `_raw`, `_malformed`, `_extra` and one
VARCHAR column per contract field, for the files of one or more batch days (see
`ingest.reader.source_select`). Output (`stage_sql`): per record the typed field values, `_reason`
(a code of `contract.REASONS` or NULL), `_detail`, `_raw` (kept for quarantined records only),
`_row_hash` and `_dup` (exact duplicate of an earlier record of its batch or of an earlier batch:
set by `dedupe_earlier_sql` and `dedupe_batch_sql`).

Per record the first failing check in the order of `contract.REASONS` wins; within one reason
the first field in contract order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ingest.contract import REASONS, Entity, Field

# A well-formed timestamp: date, `T` or space, hh:mm[:ss[.fraction]], then an optional offset.
_TS_BODY = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
_TS_OFFSET = r"(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)"
_INT = r"[+-]?\d+"
_DECIMAL = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_DATE = r"\d{4}-\d{2}-\d{2}"
_SHOW = 120  # characters of an offending value quoted in `detail`


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _t(name: str) -> str:
    """Column holding the typed value of a field."""
    return _q("t_" + name)


def _shown(f: Field) -> str:
    """The offending value, quoted, for `detail`."""
    v = _q(f.name)
    return f"'''' || left({v}, {_SHOW}) || CASE WHEN length({v}) > {_SHOW} THEN '...' ELSE '' END || ''''"


def _typed(f: Field) -> str:
    v = _q(f.name)
    if f.type == "string" and f.pattern:
        return f"CASE WHEN regexp_full_match({v}, {_lit(f.pattern)}) THEN {v} END"
    if f.type in ("string", "enum"):
        return v
    if f.type == "int":
        return f"CASE WHEN regexp_full_match({v}, '{_INT}') THEN TRY_CAST({v} AS BIGINT) END"
    if f.type == "decimal":
        return f"CASE WHEN regexp_full_match({v}, '{_DECIMAL}') THEN TRY_CAST({v} AS {f.duckdb_type}) END"
    if f.type == "bool":
        return f"CASE {v} WHEN 'true' THEN true WHEN 'false' THEN false END"
    if f.type == "date":
        return f"CASE WHEN regexp_full_match({v}, '{_DATE}') THEN TRY_CAST({v} AS DATE) END"
    if f.type == "timestamp":
        return f"CASE WHEN regexp_full_match({v}, '{_TS_BODY}{_TS_OFFSET}') THEN TRY_CAST({v} AS TIMESTAMPTZ) END"
    raise ValueError(f"unknown field type {f.type}")


@dataclass(frozen=True)
class Check:
    reason: str
    field: str
    condition: str  # SQL, true when the record fails
    detail: str  # SQL producing the readable phrase


def checks(entity: Entity) -> list[Check]:
    """Every check of the entity, in the order the reason is decided. Rules that depend on the
    batch day read the columns of `day_constants_sql` (`_cutoff`, `_cutoff_text`, `_year`)."""
    out: list[Check] = []
    for f in entity.fields:
        v, t, shown = _q(f.name), _t(f.name), _shown(f)
        if f.required:
            out.append(
                Check("missing_required", f.name, f"{v} IS NULL", _lit(f"required field {f.name} is missing or empty"))
            )
        if f.type not in ("string", "enum") or f.pattern:
            cond = f"{v} IS NOT NULL AND {t} IS NULL"
            if f.type == "timestamp":  # a valid timestamp without offset is no_offset, not bad_type
                no_offset = f"regexp_full_match({v}, '{_TS_BODY}') AND TRY_CAST({v} AS TIMESTAMP) IS NOT NULL"
                out.append(
                    Check(
                        "no_offset",
                        f.name,
                        f"{cond} AND {no_offset}",
                        f"{_lit(f.name + ': ')} || {shown} || ' has no UTC offset'",
                    )
                )
                cond += f" AND NOT ({no_offset})"
            typename = (
                {
                    "int": "an integer",
                    "decimal": "a decimal number",
                    "bool": "true or false",
                    "date": "a date (YYYY-MM-DD)",
                    "timestamp": "an ISO-8601 timestamp",
                }.get(f.type)
                or f.pattern_doc
                or f"matching {f.pattern}"
            )
            out.append(
                Check("bad_type", f.name, cond, f"{_lit(f.name + ': ')} || {shown} || {_lit(' is not ' + typename)}")
            )
        if f.enum:
            allowed = ", ".join(_lit(x) for x in f.enum)
            out.append(
                Check(
                    "unknown_enum",
                    f.name,
                    f"{v} NOT IN ({allowed})",
                    f"{_lit(f.name + ': ')} || {shown} || {_lit(' is not one of ' + ', '.join(f.enum))}",
                )
            )
        if f.type == "decimal" and f.min_value == 0 and not f.exclusive_min:
            out.append(
                Check("negative_amount", f.name, f"{t} < 0", f"{_lit(f.name + ': ')} || {shown} || ' is negative'")
            )
        elif f.min_value is not None or f.max_value is not None:
            conds = []
            if f.min_value is not None:
                lo = f.min_value
                conds.append(f"{t} <= {lo}" if f.exclusive_min else f"{t} < {lo}")
            # the upper bound as SQL, and as text in the detail (SQL too: the batch day's year)
            if f.max_value == "current_year":
                hi, hi_text = "_year", "CAST(_year AS VARCHAR)"
            elif f.max_value is not None:
                hi, hi_text = _num(f.max_value), _lit(_num(f.max_value))
            else:
                hi = hi_text = None
            if hi is not None:
                conds.append(f"{t} > {hi}")
            if f.min_value is not None and hi is not None:
                rule = f"{_lit(' is outside ' + _num(f.min_value) + '..')} || {hi_text}"
            elif f.exclusive_min:
                rule = _lit(f" is not greater than {_num(f.min_value)}")
            else:
                rule = _lit(f" is below the minimum {_num(f.min_value)}")
            out.append(Check("out_of_range", f.name, " OR ".join(conds), f"{_lit(f.name + ': ')} || {shown} || {rule}"))
        if f.type == "timestamp":
            out.append(
                Check(
                    "future_timestamp",
                    f.name,
                    f"{t} >= _cutoff",
                    f"{_lit(f.name + ': ')} || {shown} || ' is at or after ' || _cutoff_text || "
                    f"' (end of the batch day plus one day)'",
                )
            )
    for rule in entity.rules:
        f = entity.field(rule.field)
        # the rule's SQL names typed values t_<field>: the typed columns here
        condition = re.sub(r"\bt_(\w+)\b", lambda m: _t(m[1]), rule.condition)
        out.append(
            Check(rule.reason, f.name, condition, f"{_lit(f.name + ': ')} || {_shown(f)} || {_lit(' ' + rule.detail)}")
        )
    order = {r: i for i, r in enumerate(REASONS)}
    return sorted(out, key=lambda c: order[c.reason])  # stable: contract field order within a reason


def day_constants_sql(days: list[date], tz: str) -> str:
    """One row per batch day: `_cutoff`, the instant a timestamp of that batch may not reach (the
    start of the day after next in the reporting zone, i.e. the end of the batch day plus one day),
    its text for the detail, and `_year`, the batch day's year (the upper bound of `current_year`)."""
    rows = []
    for dt in days:
        cutoff_local = datetime.combine(dt + timedelta(days=2), time(0), tzinfo=ZoneInfo(tz))
        cutoff_utc = cutoff_local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")
        rows.append(
            f"(DATE '{dt.isoformat()}', TIMESTAMPTZ '{cutoff_utc}', "
            f"{_lit(f'{cutoff_local:%Y-%m-%d %H:%M} {tz}')}, {dt.year})"
        )
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS d(_batch_dt, _cutoff, _cutoff_text, _year)"


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def row_hash(entity: Entity) -> str:
    """DuckDB's hash() of the typed values, a UBIGINT: deterministic, independent of the session
    time zone (a TIMESTAMPTZ hashes as its instant), `98.0` = `98.00`, NULL distinct from ''.
    Duplicates are judged on this hash *and* the key, so a 64-bit collision cannot drop a record
    with a different key. Kept as a number: written as 16 hex digits it cost the year's
    clickstream ~5 s of formatting and writing (docs/performance.md)."""
    return f"hash({', '.join(_t(f.name) for f in entity.fields)})"


def _key_match(entity: Entity, left: str, right: str) -> str:
    """Equal keys; a key column may be null (plan/targets: channel null = the whole shop)."""
    return " AND ".join(f"{left}.{_q(k)} IS NOT DISTINCT FROM {right}.{_q(k)}" for k in entity.key)


def stage_sql(entity: Entity, days: list[date], tz: str, source_sql: str) -> str:
    """One statement for the records of batch days `days` (the source carries `_batch_dt`):
    typing, checks, reason, detail and row hash per record; `_dup` (false here) is set by
    `dedupe_earlier_sql` and `dedupe_batch_sql`; `_extra` keeps a record's non-contract keys
    (jsonl) when there are any."""
    cs = checks(entity)
    names = entity.field_names
    nulled = ", ".join(f"NULLIF({_q(n)}, '') AS {_q(n)}" for n in names)
    typed = ", ".join(f"{_typed(f)} AS {_t(f.name)}" for f in entity.fields)
    chk = (
        "CASE WHEN _malformed IS NOT NULL THEN 0 "
        + " ".join(f"WHEN {c.condition} THEN {i + 1}" for i, c in enumerate(cs))
        + " END"
    )
    reasons = "[" + ", ".join(_lit(r) for r in ["malformed"] + [c.reason for c in cs]) + "]"
    detail = (
        "CASE _chk WHEN 0 THEN _malformed "
        + " ".join(f"WHEN {i + 1} THEN {c.detail}" for i, c in enumerate(cs))
        + " END"
    )
    out_fields = ", ".join(f"{_t(n)} AS {_q(n)}" for n in names)
    return f"""
WITH src AS ({source_sql}),
d AS ({day_constants_sql(days, tz)}),
v AS (SELECT _file_idx, _batch_dt, _cutoff, _cutoff_text, _year, _line, _raw, _malformed, {nulled}, _extra
      FROM src JOIN d USING (_batch_dt)),
t AS (SELECT *, {typed} FROM v),
c AS (SELECT *, {chk} AS _chk FROM t),
o AS (SELECT _file_idx, _batch_dt, _line,
  CASE WHEN _chk IS NOT NULL THEN {reasons}[_chk + 1] END AS _reason,
  {detail} AS _detail,
  CASE WHEN _chk IS NOT NULL THEN _raw END AS _raw,
  {out_fields},
  CASE WHEN _chk IS NULL THEN {row_hash(entity)} END AS _row_hash,
  CASE WHEN len(_extra) > 0 THEN _extra END AS _extra
  FROM c)
SELECT *, false AS _dup FROM o
"""


def key_bounds_sql(entity: Entity, stage: str) -> str:
    """The least and greatest first key value of the stage's good records, as text."""
    k = _q(entity.key[0])
    return f"SELECT min({k})::VARCHAR, max({k})::VARCHAR FROM {stage} WHERE _row_hash IS NOT NULL"


def dedupe_earlier_sql(entity: Entity, stage: str, raw_table: str, low: str, high: str, replaced: str) -> str:
    """Flag records identical (same key, same `_row_hash`) to a record of `raw_table` loaded from
    an earlier batch day than their own, leaving out the batch days being loaded (`replaced`, a
    SQL list of dates: their old rows are being replaced, and duplicates among the new ones are
    `dedupe_batch_sql`'s).

    An identical record has a first key value between the stage's least and greatest (`low`,
    `high`, from `key_bounds_sql`); written as constants, that range lets DuckDB skip the row
    groups of `raw_table` outside it instead of probing every row loaded before (which made a
    year's ingest grow with the square of its days, docs/performance.md)."""
    first = next(f for f in entity.fields if f.name == entity.key[0])
    k = _q(first.name)
    bound = f"r.{k} BETWEEN CAST({_lit(low)} AS {first.duckdb_type}) AND CAST({_lit(high)} AS {first.duckdb_type})"
    return f"""
UPDATE {stage} SET _dup = true
WHERE _row_hash IS NOT NULL AND EXISTS (
  SELECT 1 FROM {raw_table} AS r
  WHERE {bound} AND r._batch_dt < {stage}._batch_dt AND r._batch_dt NOT IN {replaced}
    AND r._row_hash = {stage}._row_hash AND {_key_match(entity, "r", stage)})
"""


def dedupe_batch_sql(entity: Entity, stage: str) -> str:
    """Flag records identical to an earlier record of the stage: an earlier batch day, or the same
    batch day and an earlier file or line (`_file_idx` numbers the files in batch-day order, then
    name order). Only hashes seen more than once are ranked, so the usual case costs one aggregation."""
    keys = ", ".join(_q(k) for k in entity.key)
    return f"""
UPDATE {stage} SET _dup = true
FROM (
  SELECT _file_idx, _line FROM (
    SELECT _file_idx, _line, row_number() OVER (PARTITION BY _row_hash, {keys} ORDER BY _file_idx, _line) AS _n
    FROM {stage}
    WHERE _row_hash IN (SELECT _row_hash FROM {stage} WHERE _row_hash IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
  ) WHERE _n > 1
) AS later
WHERE {stage}._file_idx = later._file_idx AND {stage}._line = later._line
"""


sql_ident = _q
sql_literal = _lit
