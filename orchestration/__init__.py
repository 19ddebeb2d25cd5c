import warnings

from dagster import BetaWarning, PreviewWarning

# backfill_policy and pools are flagged beta/preview; we rely on them knowingly.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
