"""The published marts that need statistics rather than SQL: `marts.experiment_results` (A/B test
significance) and `marts.gmv_forecast` (weekly-seasonal forecast with a backtest), and the one
that needs the forecast: `marts.target_tracking` (plan vs actual, its gmv projection uses it).

Both run after dbt, in the same run, read dbt's tables from the working database, compute with the
pure helpers of `analytics` (`experiment_results`, `gmv_forecast`), and replace their table in
schema `marts` in one transaction, before the publish step copies that schema to serving. Their
columns are documented in transform/models/marts/_python_marts.yml (a dbt source, so `dbt docs`
lists them) and docs/analytics.md.
"""

from datetime import date

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

import analytics
from orchestration.db import working_db
from orchestration.resources import WarehouseResource

EXPERIMENT_RESULTS_KEY = AssetKey(["marts", "experiment_results"])
GMV_FORECAST_KEY = AssetKey(["marts", "gmv_forecast"])
TARGET_TRACKING_KEY = AssetKey(["marts", "target_tracking"])
ANALYTICS_KEYS = [EXPERIMENT_RESULTS_KEY, GMV_FORECAST_KEY, TARGET_TRACKING_KEY]

# dbt models they read (dbt asset keys are [layer, model], see assets/transform.py)
EXPERIMENT_COUNTS_KEY = AssetKey(["intermediate", "int_experiment_variants"])
KPI_DAILY_KEY = AssetKey(["marts", "kpi_daily"])
ORDERS_KEY = AssetKey(["intermediate", "int_orders"])
TARGET_ACTUALS_KEY = AssetKey(["intermediate", "int_target_tracking"])

# Published column types: the table is created with exactly these (the mart's contract).
EXPERIMENT_RESULTS_DDL = """
CREATE TABLE marts.experiment_results (
    experiment_id VARCHAR NOT NULL,
    variant VARCHAR NOT NULL,
    exposed BIGINT NOT NULL,
    converted BIGINT NOT NULL,
    conversion DOUBLE,
    lift DOUBLE,
    p_value DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    srm_flag BOOLEAN,
    srm_p_value DOUBLE,
    excluded_users BIGINT NOT NULL,
    PRIMARY KEY (experiment_id, variant)
)"""

GMV_FORECAST_DDL = """
CREATE TABLE marts.gmv_forecast (
    date DATE NOT NULL PRIMARY KEY,
    forecast DECIMAL(18, 4),
    lower DECIMAL(18, 4),
    upper DECIMAL(18, 4),
    model VARCHAR NOT NULL,
    backtest_mape DOUBLE,
    backtest_weeks BIGINT NOT NULL
)"""

TARGET_TRACKING_DDL = """
CREATE TABLE marts.target_tracking (
    month DATE NOT NULL,
    metric VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    target DOUBLE NOT NULL,
    actual_to_date DOUBLE,
    days_elapsed INTEGER NOT NULL,
    days_in_month INTEGER NOT NULL,
    expected_to_date DOUBLE NOT NULL,
    pace DOUBLE,
    projected DOUBLE,
    on_track BOOLEAN,
    PRIMARY KEY (month, metric, channel)
)"""

# The rows of intermediate.int_target_tracking (dbt: everything but the gmv forecast), with the gmv
# projection replaced by actual_to_date + the forecast of the month's remaining days when
# gmv_forecast has a (non-null) forecast for every one of them; otherwise the run rate stays.
# A month fully past has no remaining day: its projection is its actual either way.
TARGET_TRACKING_SQL = """
WITH remaining AS (
    SELECT
        t.month_start,
        t.metric,
        t.channel,
        sum(f.forecast) AS forecast_sum,
        count(f.forecast) AS covered_days,
        t.days_in_month - t.days_elapsed AS remaining_days
    FROM intermediate.int_target_tracking AS t
    LEFT JOIN marts.gmv_forecast AS f
        ON f.date > t.last_complete_day AND f.date <= t.month_end
    WHERE t.metric = 'gmv' AND t.days_elapsed > 0 AND t.days_elapsed < t.days_in_month
    GROUP BY t.month_start, t.metric, t.channel, t.days_in_month, t.days_elapsed
),
final AS (
    SELECT
        t.*,
        CASE
            WHEN r.covered_days = r.remaining_days THEN t.actual_to_date + CAST(r.forecast_sum AS DOUBLE)
            ELSE t.projected
        END AS final_projected
    FROM intermediate.int_target_tracking AS t
    LEFT JOIN remaining AS r USING (month_start, metric, channel)
)
SELECT
    month_start AS month, metric, channel, target_value AS target, actual_to_date, days_elapsed, days_in_month,
    expected_to_date, pace, final_projected AS projected,
    CASE WHEN is_lower_better THEN final_projected <= target_value ELSE final_projected >= target_value END
        AS on_track
FROM final
ORDER BY month_start, metric, channel
"""


def _replace_table(con, name: str, ddl: str, rows: list[dict], columns: tuple[str, ...]) -> None:
    """Drop and recreate `marts.<name>` with `rows` (a few dozen at most), in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(f"DROP TABLE IF EXISTS marts.{name}")
        con.execute(ddl)
        if rows:
            marks = ", ".join("?" for _ in columns)
            con.executemany(
                f"INSERT INTO marts.{name} ({', '.join(columns)}) VALUES ({marks})",
                [[row[c] for c in columns] for row in rows],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def build_experiment_results(con) -> list[dict]:
    counts = [
        analytics.VariantCounts(*row)
        for row in con.execute(
            "SELECT experiment_id, variant, exposed, converted, excluded_users "
            "FROM intermediate.int_experiment_variants ORDER BY experiment_id, variant"
        ).fetchall()
    ]
    return analytics.experiment_results(counts)


def gmv_history(con) -> tuple[list[date], list[float]]:
    """Daily gmv of the complete days: kpi_daily's days up to the last complete day, which is the
    latest batch day that brought shop orders (a batch day's export holds that day's new orders),
    and never later than kpi_daily's last date. Days with null gmv (no shop orders loaded at all)
    are no history."""
    rows = con.execute(
        """
        WITH last_complete AS (
            SELECT least(
                (SELECT max(date) FROM marts.kpi_daily),
                coalesce((SELECT max(_batch_dt) FROM intermediate.int_orders), DATE '9999-12-31')
            ) AS day
        )
        SELECT date, CAST(gmv AS DOUBLE)
        FROM marts.kpi_daily, last_complete
        WHERE date <= last_complete.day AND gmv IS NOT NULL
        ORDER BY date
        """
    ).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def build_gmv_forecast(con) -> list[dict]:
    return analytics.gmv_forecast(*gmv_history(con))


def replace_experiment_results(con) -> list[dict]:
    rows = build_experiment_results(con)
    _replace_table(con, "experiment_results", EXPERIMENT_RESULTS_DDL, rows, analytics.RESULT_COLUMNS)
    return rows


def replace_gmv_forecast(con) -> list[dict]:
    rows = build_gmv_forecast(con)
    _replace_table(con, "gmv_forecast", GMV_FORECAST_DDL, rows, analytics.FORECAST_COLUMNS)
    return rows


def build_target_tracking(con) -> list[dict]:
    cursor = con.execute(TARGET_TRACKING_SQL)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


TARGET_TRACKING_COLUMNS = (
    "month",
    "metric",
    "channel",
    "target",
    "actual_to_date",
    "days_elapsed",
    "days_in_month",
    "expected_to_date",
    "pace",
    "projected",
    "on_track",
)


def replace_target_tracking(con) -> list[dict]:
    rows = build_target_tracking(con)
    _replace_table(con, "target_tracking", TARGET_TRACKING_DDL, rows, TARGET_TRACKING_COLUMNS)
    return rows


def analytics_assets() -> list:
    """The statistics marts (not partitioned: they describe the warehouse after the run)."""

    @asset(
        key=EXPERIMENT_RESULTS_KEY,
        deps=[EXPERIMENT_COUNTS_KEY],
        group_name="marts",
        kinds={"python", "scipy", "duckdb"},
        description="A/B test results per experiment and variant (kpis.md, Experiments): counts from dbt "
        "(int_experiment_variants), pooled two-proportion z-test and 95 % interval against `control`, "
        "chi-square sample-ratio mismatch flagged at p < 0.001.",
        pool="working_db",
    )
    def experiment_results(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        with working_db(warehouse.settings()) as con:
            rows = replace_experiment_results(con)
        flagged = sorted({r["experiment_id"] for r in rows if r["srm_flag"]})
        context.log.info(f"experiment_results: {len(rows)} rows; sample-ratio mismatch in {flagged or 'none'}")
        return MaterializeResult(metadata={"rows": len(rows), "srm_flagged": ", ".join(flagged) or "none"})

    @asset(
        key=GMV_FORECAST_KEY,
        deps=[KPI_DAILY_KEY, ORDERS_KEY],
        group_name="marts",
        kinds={"python", "numpy", "duckdb"},
        description="GMV forecast for the 14 days after the last complete day with an 80 % prediction "
        "interval (OLS with trend and day-of-week effects on >= 8 weeks of kpi_daily gmv, one-off days left "
        "out) and its 4-week backtest MAPE; with less history one row says why.",
        pool="working_db",
    )
    def gmv_forecast(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        with working_db(warehouse.settings()) as con:
            rows = replace_gmv_forecast(con)
        model = rows[0]["model"] if rows else "no history"
        mape = rows[0]["backtest_mape"] if rows else None
        context.log.info(f"gmv_forecast: {len(rows)} rows, model {model}, backtest MAPE {mape}")
        return MaterializeResult(
            metadata={"rows": len(rows), "model": model, "backtest_mape": mape if mape is not None else "n/a"}
        )

    @asset(
        key=TARGET_TRACKING_KEY,
        deps=[TARGET_ACTUALS_KEY, GMV_FORECAST_KEY],
        group_name="marts",
        kinds={"python", "duckdb"},
        description="Targets (plan vs actual) per month, metric and channel: the dbt model int_target_tracking "
        "(actual to date, pace, run-rate projection) with the gmv projection taken from gmv_forecast where it "
        "covers the month's remaining days; built after the forecast so that it reads this run's forecast.",
        pool="working_db",
    )
    def target_tracking(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        with working_db(warehouse.settings()) as con:
            rows = replace_target_tracking(con)
        behind = sum(1 for r in rows if r["on_track"] is False)
        context.log.info(f"target_tracking: {len(rows)} targets, {behind} not on track")
        return MaterializeResult(metadata={"rows": len(rows), "not_on_track": behind})

    return [experiment_results, gmv_forecast, target_tracking]
