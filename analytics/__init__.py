"""Pure statistics of the published marts, without Dagster or I/O: A/B test significance and the
GMV forecast with its backtest.

Interface (`from analytics import name`): `experiment_results(counts)` of `VariantCounts` rows,
with the columns `RESULT_COLUMNS`; `gmv_forecast(days, values)`, with the columns
`FORECAST_COLUMNS`.
"""

from analytics.forecast import FORECAST_COLUMNS, gmv_forecast
from analytics.stats import RESULT_COLUMNS, VariantCounts, experiment_results

__all__ = ["FORECAST_COLUMNS", "RESULT_COLUMNS", "VariantCounts", "experiment_results", "gmv_forecast"]
