"""Row-level bad input of sources.md, injected at a small rate when `faults=True`.

Each faulty row gets exactly one defect, so the reason the ingest gives it is known in advance
(`KIND_REASON`). The share of faulty rows is capped per (entity, batch) at 4.5 %, below the 5 %
quarantine gate. The first batch always carries every kind (traffic events: every JSON kind;
customers: a CSV row with the wrong number of fields) so a short run still sees them all, and
two files get extra columns. Faults use their own random stream: the clean rows stay identical
to a run without faults.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl

from ingest import Entity
from simulator.calendar import DAY_MS, FAULTS, HOUR_MS, Calendar, rng_for
from simulator.output import LOCAL, ts_text

RATE = 0.005
CAP_SHARE = 0.045
KIND_REASON = {
    "malformed_json": "malformed",
    "csv_field_count": "malformed",
    "missing_required": "missing_required",
    "bad_type": "bad_type",
    "no_offset": "no_offset",
    "unknown_enum": "unknown_enum",
    "negative_amount": "negative_amount",
    "out_of_range": "out_of_range",
    "future_timestamp": "future_timestamp",
}
_BAD_TYPE = {"timestamp": "yesterday", "decimal": "12.5.0", "int": "two", "bool": "yes", "date": "2026/13/01"}
_BOGUS_ENUM = {
    "status": "on_hold",
    "platform": "smart_tv",
    "method": "crypto",
    "reason": "lost_in_transit",
    "page_type": "landing",
    "device_type": "console",
    "event_type": "ticket_merged",
    "channel": "fax",
    "category": "billing",
    "priority": "critical",
    "new_status": "escalated",
    "metric": "profit",
}
_OUT_OF_RANGE = {
    "quantity": "0",
    "line_number": "0",
    "birth_year": "1850",
    "csat_score": "9",
    "page_load_ms": "-40",
    "impressions": "-3",
    "clicks": "-3",
    "rate_to_base": "0",
    "on_hand": "-2",
    "inbound": "-1",
}
EXTRA_CSV = ("shop_orders", "warehouse_code", "WH-01")
EXTRA_JSON = ("traffic_events", "app", "sdk_version", "5.12.0")


def _candidates(entity: Entity, kind: str, fmt: str) -> list[str | None]:
    """Fields a kind can be planted in (None: a line-level fault)."""
    fs = entity.fields
    if kind == "malformed_json":
        return [None] if fmt == "jsonl" else []
    if kind == "csv_field_count":
        return [None] if fmt == "csv" else []
    if kind == "missing_required":
        return [f.name for f in fs if f.required]
    if kind == "bad_type":
        return [f.name for f in fs if f.type in _BAD_TYPE or f.pattern]
    if kind == "no_offset" or kind == "future_timestamp":
        return [f.name for f in fs if f.type == "timestamp"]
    if kind == "unknown_enum":
        return [f.name for f in fs if f.enum]
    if kind == "negative_amount":
        return [f.name for f in fs if f.type == "decimal" and f.min_value == 0 and not f.exclusive_min]
    if kind == "out_of_range":
        return [f.name for f in fs if f.name in _OUT_OF_RANGE]
    raise ValueError(kind)


class FaultInjector:
    def __init__(self, seed: int, cal: Calendar, tz: str):
        self.seed, self.cal, self.tz = seed, cal, tz
        self.counts: dict[str, int] = {k: 0 for k in KIND_REASON}
        self.by_entity: dict[str, dict[str, int]] = defaultdict(lambda: {k: 0 for k in KIND_REASON})
        self.extra_columns: list[dict] = []

    def inject(
        self, entity: Entity, d: int, text: pl.DataFrame, fmt: str
    ) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
        """Cell-level defects applied to `text`; returns it with the masks of rows whose LINE must
        be broken afterwards (malformed JSON, wrong CSV field count)."""
        n = text.height
        broken_json, broken_csv = np.zeros(n, bool), np.zeros(n, bool)
        rng = rng_for(self.seed, FAULTS, d, hash_name(entity.name))
        kinds = [k for k in KIND_REASON if _candidates(entity, k, fmt)]
        cap = int(np.floor(n * CAP_SHARE))
        forced = []
        if d == 0 and entity.name == "traffic_events":
            forced = list(kinds)
        if d == 0 and entity.name == "shop_customers":
            forced = ["csv_field_count"]
        k_random = int(rng.binomial(n, RATE)) if n else 0
        plan = (forced + [kinds[i] for i in rng.integers(len(kinds), size=k_random)])[:cap]
        used = np.zeros(n, bool)
        cols: dict[str, pl.Series] = {}
        for kind in dict.fromkeys(plan):
            want = plan.count(kind)
            fields = _candidates(entity, kind, fmt)
            per_field = np.bincount(rng.integers(len(fields), size=want), minlength=len(fields))
            for f, c in zip(fields, per_field):
                if c == 0:
                    continue
                col = cols.get(f) if f else None
                if f is not None and col is None:
                    col = text[f]
                ok = ~used if f is None else (~used & col.is_not_null().to_numpy())
                if kind == "negative_amount":
                    ok &= ~col.str.contains(r"^0(\.0+)?$").fill_null(True).to_numpy()
                cand = np.flatnonzero(ok)
                if not len(cand):
                    continue
                rows = np.sort(rng.choice(cand, size=min(c, len(cand)), replace=False))
                used[rows] = True
                self.counts[kind] += len(rows)
                self.by_entity[entity.name][kind] += len(rows)
                if kind == "malformed_json":
                    broken_json[rows] = True
                    continue
                if kind == "csv_field_count":
                    broken_csv[rows] = True
                    continue
                cols[f] = col.scatter(rows, self._bad_values(entity, kind, f, col.gather(rows), d, rng))
        if cols:
            text = text.with_columns(*cols.values())
        return text, broken_json, broken_csv

    def _bad_values(self, entity: Entity, kind: str, field: str, old: pl.Series, d: int, rng) -> pl.Series:
        k = len(old)
        if kind == "missing_required":
            return pl.Series([None] * k, dtype=pl.String)
        if kind == "bad_type":
            f = entity.field(field)
            return pl.Series([_BAD_TYPE.get(f.type, "2026-13")] * k, dtype=pl.String)
        if kind == "no_offset":
            return old.str.replace(r"(Z|[+-]\d{2}:\d{2})$", "")
        if kind == "unknown_enum":
            return pl.Series([_BOGUS_ENUM.get(field, "unknown")] * k, dtype=pl.String)
        if kind == "negative_amount":
            return "-" + old
        if kind == "out_of_range":
            return pl.Series([_OUT_OF_RANGE[field]] * k, dtype=pl.String)
        if kind == "future_timestamp":  # two to three days past the end of the batch day
            ts = self.cal.midnight(d + 3) + rng.integers(0, 20, size=k) * HOUR_MS
            return pl.select(ts_text(pl.lit(pl.Series(ts)), self.tz, LOCAL)).to_series()
        raise ValueError(kind)

    @staticmethod
    def break_lines(lines: pl.Series, broken_json: np.ndarray, broken_csv: np.ndarray, rng_seed: int) -> pl.Series:
        if broken_json.any():
            rows = np.flatnonzero(broken_json)
            old = lines.gather(rows)
            lines = lines.scatter(rows, old.str.slice(0, old.str.len_chars() // 2))
        if broken_csv.any():
            rows = np.flatnonzero(broken_csv)
            old = lines.gather(rows)
            drop = (rows + rng_seed) % 2 == 0  # half lose their last field, half get one more
            new = pl.select(
                pl.when(pl.lit(pl.Series(drop)))
                .then(pl.lit(old).str.replace(r",[^,]*$", ""))
                .otherwise(pl.lit(old) + ",x")
            ).to_series()
            lines = lines.scatter(rows, new)
        return lines

    def extra(self, entity: Entity, d: int, text: pl.DataFrame, part_col: str | None) -> tuple[pl.DataFrame, list[str]]:
        """The two files with extra columns: the first batch's orders CSV and app events file."""
        if d != 0:
            return text, []
        if entity.name == EXTRA_CSV[0]:
            return text.with_columns(pl.lit(EXTRA_CSV[2]).alias(EXTRA_CSV[1])), [EXTRA_CSV[1]]
        if entity.name == EXTRA_JSON[0] and part_col:
            return text.with_columns(
                pl.when(pl.col(part_col) == EXTRA_JSON[1]).then(pl.lit(EXTRA_JSON[3])).alias(EXTRA_JSON[2])
            ), [EXTRA_JSON[2]]
        return text, []

    def record_extra(self, file: str, columns: list[str]) -> None:
        self.extra_columns.append({"file": file, "columns": columns})

    def summary(self) -> dict:
        by_reason: dict[str, int] = {}
        for kind, n in self.counts.items():
            by_reason[KIND_REASON[kind]] = by_reason.get(KIND_REASON[kind], 0) + n
        return {
            "rate": RATE,
            "cap_share_per_partition": CAP_SHARE,
            "counts": dict(self.counts),
            "total": sum(self.counts.values()),
            "by_reason": by_reason,
            "by_entity": {e: {k: v for k, v in kinds.items() if v} for e, kinds in sorted(self.by_entity.items())},
            "by_entity_reason": {e: _reasons(kinds) for e, kinds in sorted(self.by_entity.items())},
            "extra_columns": self.extra_columns,
            "kind_reason": KIND_REASON,
        }


def _reasons(kinds: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for kind, n in kinds.items():
        if n:
            out[KIND_REASON[kind]] = out.get(KIND_REASON[kind], 0) + n
    return out


def hash_name(name: str) -> int:
    """A stable small integer per entity name (Python's hash() is salted per process)."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(name)) % 100_000


__all__ = ["FaultInjector", "KIND_REASON", "RATE", "CAP_SHARE", "DAY_MS"]
