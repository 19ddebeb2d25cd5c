"""Pure statistics of the published marts, without Dagster or I/O: A/B test significance
(`analytics.stats`) and the GMV forecast with its backtest (`analytics.forecast`)."""
