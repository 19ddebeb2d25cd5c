"""Batch-day partitions: one partition per day from the first batch day of the shop's history.

History starts at WAREHOUSE_HISTORY_START, or else at the earliest `dt=` folder of the landing
zone (sources.md: a shop brings exports of any age); the last partition is yesterday in the
reporting zone. The definitions are built for the settings a run or the UI starts with
(orchestration/definitions.py), so a landing zone that gains older history gets earlier
partitions at the next start.
"""

from __future__ import annotations

from datetime import date

from dagster import BackfillPolicy, DailyPartitionsDefinition

from config import Settings
from ingest import ENTITIES, batch_days

# A range of days is one run: every asset handles the whole window in a single step.
single_run = BackfillPolicy.single_run()


def landed_range(settings: Settings) -> tuple[date, date] | None:
    """(first, last) batch day of any entity's `dt=` folders, None for an empty landing zone."""
    days = [day for entity in ENTITIES for day in batch_days(settings.landing, entity)]
    return (min(days), max(days)) if days else None


def history_start(settings: Settings) -> date:
    """The first partition: WAREHOUSE_HISTORY_START, the earliest `dt=` folder, or yesterday."""
    return history_start_from(settings, None if settings.history_start else landed_range(settings))


def history_start_from(settings: Settings, landed: tuple[date, date] | None) -> date:
    """`history_start`, given the landing zone's `landed_range` a caller has just listed."""
    if settings.history_start:
        return settings.history_start
    return min(landed[0], settings.yesterday()) if landed else settings.yesterday()


def batch_days_partitions(start: date, tz: str) -> DailyPartitionsDefinition:
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=tz)
