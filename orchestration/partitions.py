"""Batch-day partitions: one partition per `dt=` folder of the landing zone."""

from __future__ import annotations

from dagster import BackfillPolicy, DailyPartitionsDefinition

from orchestration.settings import load_settings

# Early enough for any shop's history; the last partition is yesterday in the reporting zone.
batch_days = DailyPartitionsDefinition(start_date="2020-01-01", timezone=load_settings().tz)

# A range of days is one run: every asset handles the whole window in a single step.
single_run = BackfillPolicy.single_run()
