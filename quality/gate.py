"""The quality gate of a raw asset: validate the run's batch days of one entity, one outcome per check.

    validate_raw(con, entity, days, tz, max_share, blocks) -> list[CheckOutcome]

The raw asset turns every outcome into a Dagster asset check (blocking, or a warning for the
volume checks a shop did not opt in to) and records it in `ops.check_results` (quality/results.py). A failed outcome's `detail` names the expectation, the
batch days, the rows affected and a sample of offending values (personal data masked).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd

from ingest import Entity
from quality import frames
from quality.gx_runner import ExpectationResult, validate
from quality.outcome import CheckOutcome, window_label
from quality.suites import BATCHES, ROWS, SCHEMA, Check, Expectation, first_pass, raw_checks

MASK = "<personal>"
# Rows per pandas frame handed to GX: a year of clickstream in one frame takes more than the
# 4 GiB a run may use (docs/performance.md).
CHUNK_ROWS = 1_000_000
_PERSONAL_IDS = {"customer_id", "user_id"}  # hashed downstream (design.md): never quoted in clear


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class _Formatter:
    """Turns GX results into the one-line details of outcomes."""

    def __init__(self, entity: Entity):
        self.personal = {f.name for f in entity.fields if f.pii} | _PERSONAL_IDS

    def value(self, column: str, value) -> str:
        if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
            return f"{column}=null"
        if column in self.personal:
            return f"{column}={MASK}"
        if isinstance(value, pd.Timestamp):
            return f"{column}={value.isoformat()}"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{column}={value!r}" if isinstance(value, str) else f"{column}={value}"

    def row_failure(self, r: ExpectationResult) -> tuple[str, int, Counter]:
        """(detail, rows affected, rows per batch day) of a failed row-level expectation."""
        exp, res = r.expectation, r.result
        index = res.get("unexpected_index_list") or []
        per_day = Counter(_day(i.get("_batch_dt")) for i in index)
        rows = int(res.get("unexpected_count") or len(index))
        k = exp.kwargs
        shown = (
            [k["column"]]
            if "column" in k
            else [k["column_B"], k["column_A"]]
            if "column_A" in k
            else [c for c in k.get("column_list", []) if c not in ("_batch_dt", "_row_hash")]
        )
        samples = []
        for i in index[: frames.SAMPLE]:
            values = ", ".join(self.value(c, i.get(c)) for c in shown)
            where = f"{i['_file']}:{i['_line']}" if "_file" in i else _day(i.get("_batch_dt"))
            samples.append(f"{values} at {where}")
        days = ", ".join(f"{d} ({_plural(n, 'row')})" for d, n in sorted(per_day.items()))
        detail = (
            f"{exp.label()} failed on {_plural(len(per_day), 'batch day')} [{days}]: "
            f"{_plural(rows, 'row')} affected; sample: {'; '.join(samples)}"
        )
        return detail, rows, per_day


def _day(value) -> str:
    if value is None:
        return "?"
    return pd.Timestamp(value).date().isoformat()


def _error_detail(r: ExpectationResult) -> str:
    return f"{r.expectation.label()} could not be evaluated: {r.error}"


def _schema_outcome(check: Check, results: list[ExpectationResult], base: dict) -> CheckOutcome:
    [r] = results
    if r.success:
        return CheckOutcome(
            check.name,
            passed=True,
            rows_affected=None,
            detail=f"{len(r.expectation.kwargs['value_set'])} columns match the contract",
            **base,
        )
    if r.error:
        return CheckOutcome(check.name, passed=False, rows_affected=None, detail=_error_detail(r), **base)
    missing = r.result.get("partial_missing_list") or []
    unexpected = r.result.get("partial_unexpected_list") or []
    parts = ([f"missing or retyped: {', '.join(map(str, missing))}"] if missing else []) + (
        [f"not in the contract: {', '.join(map(str, unexpected))}"] if unexpected else []
    )
    return CheckOutcome(
        check.name,
        passed=False,
        rows_affected=None,
        detail=f"{r.expectation.label()} failed: {'; '.join(parts)}",
        **base,
    )


def _rows_outcome(
    check: Check, results: list[ExpectationResult], fmt: _Formatter, n_rows: int, n_days: int, base: dict
) -> CheckOutcome:
    failed = [r for r in results if not r.success]
    if not failed:
        return CheckOutcome(
            check.name,
            passed=True,
            rows_affected=0,
            detail=(
                f"{_plural(len(results), 'expectation')} met by {_plural(n_rows, 'row')} "
                f"of {_plural(n_days, 'batch day')}"
            ),
            **base,
        )
    details, rows, days = [], 0, Counter()
    for r in failed:
        if r.error:
            details.append(_error_detail(r))
            continue
        detail, n, per_day = fmt.row_failure(r)
        details.append(detail)
        rows += n
        days |= per_day
    return CheckOutcome(
        check.name,
        passed=False,
        rows_affected=rows,
        detail=" | ".join(details),
        failed_partitions=tuple(sorted(days)),
        **base,
    )


def _batches_outcome(check: Check, results: list[ExpectationResult], frame: pd.DataFrame, base: dict) -> CheckOutcome:
    [r] = results
    exp = r.expectation
    if r.error:
        return CheckOutcome(check.name, passed=False, rows_affected=None, detail=_error_detail(r), **base)
    if r.success:
        column = exp.kwargs["column"]
        judged = int(frame[column].notna().sum()) if len(frame) else 0
        arrived = int(frame["rows_read"].notna().sum()) if len(frame) else 0
        detail = f"{_plural(arrived, 'batch day')} arrived of {len(frame)} checked, {judged} judged"
        noted = frame[frame[exp.rows_column] > 0] if len(frame) and exp.quotes_tolerated else frame[:0]
        if len(noted):  # rows breaking the rule but within the tolerance: say so
            detail += "; within tolerance: " + "; ".join(
                f"{row.batch_dt}: {getattr(row, exp.detail_column)}" for row in noted.head(3).itertuples()
            )
        rows = int(noted[exp.rows_column].sum()) if len(noted) else 0
        return CheckOutcome(check.name, passed=True, rows_affected=rows, detail=detail, **base)
    index = r.result.get("unexpected_index_list") or []
    rows = sum(int(i.get(exp.rows_column) or 0) for i in index)
    days = [str(i["batch_dt"]) for i in index]
    sample = "; ".join(f"{i['batch_dt']}: {i.get(exp.detail_column)}" for i in index[: frames.SAMPLE])
    detail = (
        f"{exp.label()} failed on {_plural(len(days), 'batch day')} [{', '.join(days)}]: "
        f"{_plural(rows, 'row')} affected; {sample}"
    )
    return CheckOutcome(
        check.name, passed=False, rows_affected=rows, detail=detail, failed_partitions=tuple(days), **base
    )


def _not_evaluated(check: Check, base: dict, why: str) -> CheckOutcome:
    return CheckOutcome(check.name, passed=False, rows_affected=None, detail=f"not evaluated: {why}", **base)


def _never(entity: str, check: str) -> bool:
    return False


def validate_raw(
    con, entity: Entity, days: list[date], tz: str, max_share: float, blocks: Callable[[str, str], bool] = _never
) -> list[CheckOutcome]:
    """Evaluate every check of `entity` over batch days `days[0]..days[-1]` (already ingested).
    An opt-in check (volume, arrival) fails with severity `warn` unless `blocks(entity, check)`."""
    checks = raw_checks(entity, max_share, list(frames.contract_columns(entity)))
    base = {"asset": f"raw.{entity.name}", "partition": window_label(days)}
    by_frame = {
        kind: [e for c in checks for e in c.expectations if e.frame == kind] for kind in (SCHEMA, ROWS, BATCHES)
    }
    fmt = _Formatter(entity)
    outcomes: dict[str, CheckOutcome] = {}
    quick = [first_pass(e) for e in by_frame[ROWS]]

    # the first rows frame is being read while the schema is validated (and GX imported)
    with _RowFrames(con, entity, days, tz, quick) as row_frames:
        [schema] = validate(
            f"raw.{entity.name}.schema",
            frames.schema_frame(con, entity),
            by_frame[SCHEMA],
            index_columns=["column_def"],
        )
        outcomes[checks[0].name] = _schema_outcome(checks[0], [schema], base)

        results: list[ExpectationResult] = []
        rows_error = None
        try:
            results, n_rows, n_days = _validate_rows(con, entity, days, tz, by_frame[ROWS], row_frames)
        except duckdb.Error as exc:  # a column the suite reads is missing: contract_schema says which
            rows_error = f"cannot read raw.{entity.name}: {' '.join(str(exc).split())[:300]}"

    batch_results: list[ExpectationResult] = []
    try:
        batches = frames.batches_frame(con, entity, days)
    except duckdb.Error as exc:
        batches, batches_error = (
            None,
            f"cannot read the batch days of raw.{entity.name}: {' '.join(str(exc).split())[:300]}",
        )
    else:
        batch_exps = by_frame[BATCHES]
        index = ["batch_dt", *dict.fromkeys(c for e in batch_exps for c in (e.rows_column, e.detail_column))]
        batch_results = validate(f"raw.{entity.name}.batches", batches, batch_exps, index_columns=index)

    for check in checks[1:]:
        mine = [r for r in results + batch_results if r.expectation.check == check.name]
        frame = check.expectations[0].frame
        if frame == ROWS:
            outcomes[check.name] = (
                _not_evaluated(check, base, rows_error)
                if rows_error
                else _rows_outcome(check, mine, fmt, n_rows, n_days, base)
            )
        else:
            outcomes[check.name] = (
                _not_evaluated(check, base, batches_error)
                if batches is None
                else _batches_outcome(check, mine, batches, base)
            )
    return [_with_severity(outcomes[c.name], c, entity, blocks) for c in checks]


def _with_severity(outcome: CheckOutcome, check: Check, entity: Entity, blocks) -> CheckOutcome:
    if check.opt_in and not blocks(entity.name, check.name):
        return replace(outcome, severity="warn")
    return outcome


def _day_chunks(con, entity: Entity, days: list[date], limit: int) -> list[tuple[date, date]]:
    """Consecutive runs of batch days holding at most `limit` raw rows each (a day larger than
    `limit` is a chunk of its own); one chunk for a window without rows."""
    counts = con.execute(
        f"SELECT _batch_dt, count(*) FROM raw.{entity.name} WHERE _batch_dt BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        [days[0], days[-1]],
    ).fetchall()
    chunks: list[tuple[date, date]] = []
    first = last = None
    held = 0
    for dt, n in counts:
        if first is not None and held + n > limit:
            chunks.append((first, last))
            first, held = None, 0
        first = dt if first is None else first
        last, held = dt, held + n
    if first is not None:
        chunks.append((first, last))
    return chunks or [(days[0], days[-1])]


class _RowFrames:
    """The rows frames of the window's chunks of batch days (`_day_chunks`), each read one ahead
    by a worker thread on its own cursor: DuckDB builds the next frame (without the GIL) while GX
    validates the current one (holding it), and the first is read while GX is imported. At most
    two frames are held at a time. Errors of a read are raised where its frame is taken.
    `expectations` are those the frames hold the columns of."""

    def __init__(self, con, entity: Entity, days: list[date], tz: str, expectations: list[Expectation]):
        self.expectations = expectations
        self._cursor = con.cursor()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate-frames")
        self._read = lambda chunk: frames.rows_frame(
            self._cursor, entity, list(chunk), tz, expectations, extra=["_batch_dt"]
        )
        self._chunks = self._pool.submit(_day_chunks, self._cursor, entity, days, CHUNK_ROWS)
        self._next = self._pool.submit(lambda: self._read(self._chunks.result()[0]))

    def __iter__(self) -> Iterator[tuple[tuple[date, date], pd.DataFrame]]:
        chunks = self._chunks.result()
        for i, chunk in enumerate(chunks):
            frame = self._next.result()
            self._next = self._pool.submit(self._read, chunks[i + 1]) if i + 1 < len(chunks) else None
            yield chunk, frame
            del frame

    def __enter__(self) -> _RowFrames:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._cursor.close()


def _validate_rows(
    con, entity: Entity, days: list[date], tz: str, expectations: list[Expectation], row_frames: _RowFrames
) -> tuple[list[ExpectationResult], int, int]:
    """The row-level expectations over the window, one pandas frame per chunk of whole batch days
    (every row-level rule, key uniqueness included, holds within a batch day), so memory stays
    bounded on a year of clickstream. Every row meets the first-pass form of each expectation
    (`first_pass`: a compound key as one hash; `row_frames` reads them); what fails is
    validated again, exactly and with the offending rows. Returns the merged results, rows and
    batch days seen."""
    merged: list[ExpectationResult] | None = None
    n_rows = n_days = 0
    for (first, last), rows in row_frames:
        n_rows += len(rows)
        n_days += int(rows["_batch_dt"].nunique())
        results = [
            ExpectationResult(e, r.success, r.result, r.error)
            for e, r in zip(expectations, validate(f"raw.{entity.name}", rows, row_frames.expectations))
        ]
        failed = [r.expectation for r in results if not r.success and not r.error]
        del rows
        if failed:  # second pass, only for what failed: every offending row with where it came from
            index = ["_batch_dt", "_file", "_line", *entity.key]
            detailed = frames.rows_frame(con, entity, [first, last], tz, failed, extra=index)
            again = {
                id(r.expectation): r for r in validate(f"raw.{entity.name}", detailed, failed, index_columns=index)
            }
            results = [again.get(id(r.expectation), r) for r in results]
        merged = results if merged is None else [_merged(a, b) for a, b in zip(merged, results)]
    return merged or [], n_rows, n_days


def _merged(a: ExpectationResult, b: ExpectationResult) -> ExpectationResult:
    """One expectation's results over two chunks of days: failing rows counted and listed from both."""
    result = {**b.result, **a.result}
    if "unexpected_count" in a.result or "unexpected_count" in b.result:
        result["unexpected_count"] = a.result.get("unexpected_count", 0) + b.result.get("unexpected_count", 0)
    if "unexpected_index_list" in a.result or "unexpected_index_list" in b.result:
        result["unexpected_index_list"] = (a.result.get("unexpected_index_list") or []) + (
            b.result.get("unexpected_index_list") or []
        )
    return ExpectationResult(a.expectation, a.success and b.success, result, a.error or b.error)
