"""Dagster only: the job and its definitions (`orchestration.job`), assets, checks, partitions,
sensors, the schedule and the run launcher (`orchestration.runner.run_window`). The other rooms do
the work; the assets call them through their interfaces."""

import warnings

from dagster import BetaWarning, PreviewWarning

# backfill_policy and pools are flagged beta/preview; we rely on them knowingly.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
