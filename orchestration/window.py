"""The run's window of batch days, whether the run covers one partition or a range.

The raw assets are partitioned by batch day and read it from their partition keys; the assets
downstream of them (dbt, statistics, publish, dashboards) describe the whole warehouse after the
run, are not partitioned (one materialization per run, not one per model and day), and read the
window from the run's tags."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def batch_days_of(context) -> list[date]:
    """Every batch day of the run's partition range, in order."""
    return [date.fromisoformat(key) for key in context.partition_keys]


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def window_of_run(tags: Mapping[str, str]) -> tuple[date, date] | None:
    """(first, last) batch day of a run from its tags: a range run, or one partition; None for a
    run launched without a window (e.g. one model materialized from the UI)."""
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return date.fromisoformat(tags[RANGE_START_TAG]), date.fromisoformat(tags[RANGE_END_TAG])
    if PARTITION_TAG in tags:
        day = date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    return None
