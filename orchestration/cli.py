"""`warehouse`: the one command for everything a person does with the warehouse.

Errors print as one line (`error: ...`); the full traceback goes to $WAREHOUSE_HOME/logs/warehouse.log.
"""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import click

from orchestration.settings import Settings, load_settings

log = logging.getLogger("warehouse")


def _setup_logging(settings: Settings) -> None:
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(settings.log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


class WarehouseGroup(click.Group):
    """Turns any unexpected exception into one readable line; details go to the log file."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything at the edge
            log.exception("command failed")
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            click.echo(f"error: {message} (details: {load_settings().log_file})", err=True)
            ctx.exit(1)


def _yesterday(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.tz)).date() - timedelta(days=1)


def _progress(stage: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    end = "\n" if done >= total else ""
    click.echo(f"\r  {stage:<22} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", nl=False, err=True)
    if end:
        click.echo("", err=True)


@click.group(cls=WarehouseGroup)
def main() -> None:
    """Operations warehouse for online shops: landing files in, trusted marts out.

    Settings come from the environment: WAREHOUSE_HOME (state, default ./.warehouse),
    WAREHOUSE_LANDING, WAREHOUSE_TZ, WAREHOUSE_BASE_CURRENCY, WAREHOUSE_HOME_COUNTRY,
    WAREHOUSE_MAX_QUARANTINE_SHARE.
    """
    _setup_logging(load_settings())


@main.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First batch day (default: DAYS days before yesterday).")
@click.option("--days", type=int, default=90, show_default=True, help="Number of batch days to write.")
@click.option("--scale", type=click.Choice(["tiny", "small", "large"]), default="small", show_default=True,
              help="Daily volume: small ~1k orders and 50k events a day, tiny 1/100 of that, large 10x.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed; same seed, same files.")
@click.option("--faults", is_flag=True, help="Inject every row-level bad input of the contract at a small rate.")
def simulate(start, days, scale, seed, faults) -> None:
    """Write realistic landing files of a simulated shop into WAREHOUSE_LANDING."""
    from ingest.simulate import simulate as run_simulation

    settings = load_settings()
    first = start.date() if start else _yesterday(settings) - timedelta(days=days - 1)
    summary = _simulate(settings, first, days, scale, seed, faults, run_simulation)
    click.echo(f"wrote {sum(summary['rows'].values()):,} rows for {days} batch days from {first} into {settings.landing}")


def _simulate(settings, first, days, scale, seed, faults, run_simulation) -> dict:
    click.echo(f"simulating {days} days of a {scale} shop from {first} (seed {seed})", err=True)
    return run_simulation(
        settings.landing, first, days, scale=scale, seed=seed, faults=faults,
        base_currency=settings.base_currency, home_country=settings.home_country, tz=settings.tz,
        progress=_progress,
    )


def _run(settings: Settings, start: date, end: date, full_refresh: bool = False) -> None:
    from orchestration.runner import run_window

    if end < start:
        raise click.UsageError(f"--end {end} is before --start {start}")
    mode = " (dbt full refresh)" if full_refresh else ""
    click.echo(f"running batch days {start}..{end} as one Dagster run{mode}", err=True)
    report = run_window(settings, start, end, full_refresh=full_refresh)
    if not report.success:
        raise click.ClickException(report.one_line())
    click.echo(report.one_line())


_FULL_REFRESH_HELP = ("Rebuild every incremental dbt model from all loaded raw rows (dbt --full-refresh) "
                      "instead of only the days the batches touch.")


@main.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="One batch day (default: yesterday).")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First batch day of a range.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last batch day of a range (inclusive).")
@click.option("--full-refresh", is_flag=True, help=_FULL_REFRESH_HELP)
def run(day, start, end, full_refresh) -> None:
    """Ingest, gate, build, publish and rebuild dashboards for batch days: one Dagster run."""
    settings = load_settings()
    if day and (start or end):
        raise click.UsageError("give either --date or --start/--end")
    if bool(start) != bool(end):
        raise click.UsageError("--start and --end go together")
    if day:
        start = end = day
    first = start.date() if start else _yesterday(settings)
    last = end.date() if end else first
    _run(settings, first, last, full_refresh)


@main.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First batch day.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last batch day (inclusive).")
@click.option("--full-refresh", is_flag=True, help=_FULL_REFRESH_HELP)
def backfill(start, end, full_refresh) -> None:
    """Re-run a range of batch days as a single Dagster run (one dbt invocation)."""
    _run(load_settings(), start.date(), end.date(), full_refresh)


@main.command()
def status() -> None:
    """Freshness per source, last runs, failed checks and quarantine counts."""
    from orchestration.status import render_status

    click.echo(render_status(load_settings()))


@main.command()
@click.argument("sql")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def query(sql, as_csv) -> None:
    """Run read-only SQL against the serving database and print the result."""
    from orchestration.serving import query_serving

    frame = query_serving(load_settings(), sql)
    if as_csv:
        click.echo(frame.write_csv(), nl=False)
    else:
        import polars as pl

        with pl.Config(tbl_rows=200, tbl_cols=-1, tbl_width_chars=240, tbl_hide_dataframe_shape=True):
            click.echo(frame)


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


@main.command()
@click.option("--metrics", help="Comma-separated metric names, e.g. gmv,aov (see --list).")
@click.option("--group-by", default="", help="Comma-separated dimensions to slice by, e.g. "
              "metric_time__day,order__platform; metric_time__week/__month roll up local days.")
@click.option("--where", multiple=True, help="Filter, MetricFlow syntax: "
              "\"{{ Dimension('order__platform') }} = 'app'\" (repeatable).")
@click.option("--start-time", type=click.DateTime(["%Y-%m-%d"]), help="First local day of metric_time.")
@click.option("--end-time", type=click.DateTime(["%Y-%m-%d"]), help="Last local day of metric_time.")
@click.option("--order", default="", help="Comma-separated order, '-' for descending (default: the group-by).")
@click.option("--limit", type=int, help="At most this many rows.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@click.option("--explain", is_flag=True, help="Print the SQL MetricFlow generates instead of running it.")
@click.option("--list", "list_only", is_flag=True, help="List the metrics, their definitions and dimensions.")
def metrics(metrics, group_by, where, start_time, end_time, order, limit, as_csv, explain, list_only) -> None:
    """Query KPIs by name through the semantic layer (dbt metrics + MetricFlow).

    Reads the serving database read-only, so it works while the pipeline runs. A metric means
    what its kpi_daily column means: `--metrics gmv --group-by metric_time__day` equals
    kpi_daily.gmv per date. Examples:

      warehouse metrics --list

      warehouse metrics --metrics gmv,aov --group-by metric_time__week,order__platform

      warehouse metrics --metrics conversion_rate --group-by session__channel --start-time 2026-03-01
    """
    from orchestration.metrics import MetricEngine, MetricQueryError

    engine = MetricEngine(load_settings())
    if list_only:
        for info in engine.list_metrics():
            click.echo(f"{info.name} ({info.type}): {info.description}")
            click.echo(f"    by: {', '.join(info.dimensions)}")
        return
    if not _names(metrics):
        raise click.UsageError("give --metrics (see `warehouse metrics --list`)")
    request = dict(metrics=_names(metrics), group_by=_names(group_by), where=list(where),
                   start=start_time.date() if start_time else None, end=end_time.date() if end_time else None,
                   order=_names(order), limit=limit)
    try:
        if explain:
            click.echo(engine.explain(**request))
            return
        frame = engine.query(**request)
    except MetricQueryError as exc:  # MetricFlow's own explanation, with suggestions: all of it
        raise click.ClickException(str(exc)) from exc
    if as_csv:
        click.echo(frame.write_csv(), nl=False)
    else:
        import polars as pl

        with pl.Config(tbl_rows=200, tbl_cols=-1, tbl_width_chars=240, tbl_hide_dataframe_shape=True):
            click.echo(frame)


@main.command()
@click.option("--port", type=int, default=3000, show_default=True)
def ui(port) -> None:
    """Start the Dagster UI on the warehouse's instance, so CLI runs appear there."""
    import os
    import subprocess

    from orchestration.instance import dagster_instance

    settings = load_settings()
    dagster_instance(settings)  # writes dagster.yaml and sets DAGSTER_HOME
    click.echo(f"Dagster UI on http://127.0.0.1:{port} (instance {settings.dagster_home})", err=True)
    cmd = [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)]
    raise SystemExit(subprocess.call(cmd, env=os.environ.copy()))


@main.command()
@click.option("--open", "serve", is_flag=True, help="After building, serve the site on 127.0.0.1 and print its link.")
@click.option("--port", type=int, default=8050, show_default=True, help="Port of --open (0: any free port).")
def dashboards(serve, port) -> None:
    """Build the leadership dashboards (a static site of seven pages) from the serving database.

    The site is WAREHOUSE_HOME/dashboards: open index.html from disk, or use --open to serve it on
    localhost (nothing leaves the machine). Every good pipeline run rebuilds it by itself."""
    from dashboards.build import build_site

    settings = load_settings()
    index = build_site(settings.serving_db, settings.dashboards_dir)
    click.echo(f"dashboards built: {index}")
    if serve:
        from dashboards.serve import serve_forever

        serve_forever(settings.dashboards_dir, port)


@main.command()
@click.option("--days", type=int, default=90, show_default=True)
@click.option("--scale", type=click.Choice(["tiny", "small", "large"]), default="small", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def demo(days, scale, seed) -> None:
    """The main job end to end: simulate a shop, run the pipeline over it, print a few KPIs."""
    from ingest.simulate import simulate as run_simulation
    from orchestration.serving import query_serving

    settings = load_settings()
    last = _yesterday(settings)
    first = last - timedelta(days=days - 1)
    _simulate(settings, first, days, scale, seed, False, run_simulation)
    _run(settings, first, last)
    import polars as pl

    kpis = query_serving(
        settings,
        "SELECT date, paid_orders, gmv, net_revenue, aov, sessions, conversion_rate, new_customers, csat "
        "FROM marts.kpi_daily ORDER BY date DESC LIMIT 7",
    )
    with pl.Config(tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=True, float_precision=3):
        click.echo(kpis)
    click.echo(f"serving database: {settings.serving_db}")
    click.echo(f"dashboards:       {settings.dashboards_dir / 'index.html'}  (or: warehouse dashboards --open)")
    click.echo("Dagster UI:       warehouse ui  -> http://127.0.0.1:3000")
    click.echo('ask anything:     warehouse query "SELECT * FROM marts.kpi_daily ORDER BY date DESC LIMIT 5"')


if __name__ == "__main__":
    main()
