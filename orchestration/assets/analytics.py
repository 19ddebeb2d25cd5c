"""The published marts that need statistics rather than SQL: `marts.experiment_results` (A/B test
significance) and `marts.gmv_forecast` (weekly-seasonal forecast with a backtest).

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
ANALYTICS_KEYS = [EXPERIMENT_RESULTS_KEY, GMV_FORECAST_KEY]

# dbt models they read (dbt asset keys are [layer, model], see assets/transform.py)
EXPERIMENT_COUNTS_KEY = AssetKey(["intermediate", "int_experiment_variants"])
KPI_DAILY_KEY = AssetKey(["marts", "kpi_daily"])
ORDERS_KEY = AssetKey(["intermediate", "int_orders"])

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

    return [experiment_results, gmv_forecast]
