"""The run's window of batch days, whether the run covers one partition or a range."""

from __future__ import annotations

from datetime import date, timedelta


def batch_days_of(context) -> list[date]:
    """Every batch day of the run's partition range, in order."""
    return [date.fromisoformat(key) for key in context.partition_keys]


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
