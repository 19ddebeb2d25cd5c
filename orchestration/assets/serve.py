"""The last steps of a run: publish the audited marts, then rebuild the dashboards from them and
deliver the new alerts. They only run when every upstream asset and blocking check of the run
succeeded."""

import time
from datetime import UTC

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from alerting import deliver_alerts
from config import alert_targets
from dashboards import build_site
from orchestration.assets.analytics import ANALYTICS_KEYS
from orchestration.db import release_working_db, working_db
from orchestration.resources import WarehouseResource
from orchestration.run_events import ALERTS_KEY
from serving import connect_serving, publish
from transform import mart_descriptions, parsed_project

SERVING_KEY = AssetKey(["serving", "serving_database"])
DASHBOARDS_KEY = AssetKey(["serving", "dashboards"])


def serving_assets(mart_keys) -> list:
    """Publish (after the dbt marts `mart_keys` and the statistics marts), then the dashboards."""

    @asset(
        key=SERVING_KEY,
        # the dbt marts and the Python-built marts (assets/analytics.py) of the same run
        deps=[*mart_keys, *ANALYTICS_KEYS],
        group_name="serving",
        kinds={"duckdb"},
        description="serving.duckdb: the marts and ops history, swapped in atomically after every gate passed.",
        pool="working_db",
    )
    def serving_database(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = warehouse.settings()
        descriptions = mart_descriptions(parsed_project(settings))
        release_working_db(settings)  # publish attaches the file read-only: checkpointed and closed first
        rows = publish(settings.working_db, settings.serving_db, context.run_id, descriptions, settings.engine)
        context.log.info(f"published {len(rows)} tables to {settings.serving_db}")
        return MaterializeResult(metadata={"path": str(settings.serving_db), **{k: v for k, v in rows.items()}})

    @asset(
        key=DASHBOARDS_KEY,
        # after the publish of the same run only: a run whose gate or build fails never gets here,
        # so the site keeps showing the last good publication (docs/dashboards.md)
        deps=[SERVING_KEY],
        group_name="serving",
        kinds={"html", "plotly"},
        description="The leadership dashboards: a static site of eight pages built from the serving database "
        "into a new version directory and switched in atomically.",
    )
    def dashboards_site(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = warehouse.settings()
        started = time.perf_counter()
        index = build_site(settings.serving_db, settings.dashboards_dir, settings.base_currency)
        seconds = time.perf_counter() - started
        pages = {p.name: p.stat().st_size for p in index.parent.glob("*.html")}
        context.log.info(f"dashboards at {index} ({len(pages)} pages in {seconds:.1f}s)")
        return MaterializeResult(
            metadata={
                "index": str(index),
                "pages": len(pages),
                "build_seconds": round(seconds, 2),
                "largest_page_bytes": max(pages.values(), default=0),
            }
        )

    @asset(
        key=ALERTS_KEY,
        deps=[SERVING_KEY],
        group_name="serving",
        kinds={"email"},
        description="The new risk alerts and the run's failed checks, sent to the webhook and/or by mail "
        "(WAREHOUSE_ALERT_WEBHOOK, WAREHOUSE_SMTP_URL); a failure is recorded, never fails the run.",
        pool="working_db",
    )
    def alert_delivery(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = warehouse.settings()
        try:
            targets = alert_targets(settings)
            if not targets.any:
                return MaterializeResult(metadata={"outcome": "off (no webhook or mail server set)"})
            con = connect_serving(settings)
            try:
                published_at = con.execute("SELECT published_at FROM ops.publication").fetchone()[0].astimezone(UTC)
            finally:
                con.close()
            with working_db(settings) as con:
                outcomes = deliver_alerts(con, settings, targets, context.run_id, published_at)
        except Exception as exc:  # whatever it is, it never fails the run (architecture.md)
            message = " ".join(str(exc).split()) or exc.__class__.__name__
            context.log.warning(f"alert delivery failed: {message}")
            return MaterializeResult(metadata={"outcome": f"failed: {message}", "failed": True})
        for outcome in outcomes:
            log = context.log.info if outcome.delivered is not False else context.log.warning
            log(f"alert delivery, {outcome.sentence()}")
        return MaterializeResult(
            metadata={
                **{o.channel: o.sentence() for o in outcomes},
                "outcome": "; ".join(o.sentence() for o in outcomes),
                "failed": any(o.delivered is False for o in outcomes),
            }
        )

    return [serving_database, dashboards_site, alert_delivery]
