"""`warehouse`: the one command for everything a person does with the warehouse.

Errors print as one line (`error: ...`); the full traceback goes to $WAREHOUSE_HOME/logs/warehouse.log.
Exit codes: 0 done or healthy, 1 a run or check failed, 2 usage or settings error, 3 (`status`
only) a source is stale.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import date, timedelta

import click

from config import (
    SETTINGS_HELP,
    Settings,
    SettingsError,
    alert_targets,
    check_engine,
    check_home_and_landing,
    load_settings,
    secure_home,
)

log = logging.getLogger("warehouse")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shop-warehouse")
    except PackageNotFoundError:
        return "unknown"


class WarehouseGroup(click.Group):
    """Turns any unexpected exception into one readable line; details go to the log file."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # the reader of our output stopped early (`| head`): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything at the edge
            log.exception("command failed")
            message = " ".join(str(exc).split()) or type(exc).__name__
            try:
                where = f" (details: {load_settings().log_file})"
            except SettingsError:
                where = ""
            click.echo(f"error: {message}{where}", err=True)
            ctx.exit(1)


def _settings_epilog() -> str:
    rows = "\n".join(f"  {s.variable:<31} {s.meaning} (default: {s.default})" for s in SETTINGS_HELP)
    return (
        "\b\nSettings (environment variables, validated at start; a bad value exits 2):\n"
        + rows
        + "\n\n\b\nExit codes: 0 done or healthy, 1 a run or check failed, 2 usage or settings error, "
        "3 a source is stale (status)."
    )


@click.group(cls=WarehouseGroup, epilog=_settings_epilog(), context_settings={"max_content_width": 120})
@click.version_option(_version(), "--version", prog_name="warehouse", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Operations warehouse for online shops: landing files in, trusted marts out."""
    # Whatever a command or its children (dbt, the Dagster UI and its runs) create without an
    # explicit mode is readable by the owner only: DuckDB's write-ahead log and spill files, dbt's
    # artifacts, Dagster's storage. What analysts read gets its mode explicitly (docs/design.md,
    # "Files, modes and sharing"). Restored when the command ends (tests invoke it in-process).
    previous = os.umask(0o077)
    ctx.call_on_close(lambda: os.umask(previous))


def _settings(reads_landing: bool = False) -> Settings:
    """The settings, validated before a command does anything: a bad one is one line on stderr
    and exit 2. Starts the log file."""
    from cli.logs import setup_logging

    try:
        settings = load_settings()
        alert_targets(settings)  # the delivery addresses are read again where alerts are sent
        check_engine(settings)
        check_home_and_landing(settings, need_landing=reads_landing)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    secure_home(settings)
    setup_logging(settings.log_file)
    return settings


@main.command()
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), help="First batch day (default: DAYS days before yesterday)."
)
@click.option("--days", type=int, default=90, show_default=True, help="Number of batch days to write.")
@click.option(
    "--scale",
    type=click.Choice(["tiny", "small", "large"]),
    default="small",
    show_default=True,
    help="Daily volume: small ~1k orders and 50k events a day, tiny 1/100 of that, large 10x.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed; same seed, same files.")
@click.option("--faults", is_flag=True, help="Inject every row-level bad input of the contract at a small rate.")
def simulate(start, days, scale, seed, faults) -> None:
    """Write realistic landing files of a simulated shop into WAREHOUSE_LANDING."""
    from simulator import simulate as run_simulation

    settings = _settings()
    first = start.date() if start else settings.yesterday() - timedelta(days=days - 1)
    summary = _simulate(settings, first, days, scale, seed, faults, run_simulation)
    click.echo(
        f"wrote {sum(summary['rows'].values()):,} rows for {days} batch days from {first} into {settings.landing}"
    )


def _simulate(settings, first, days, scale, seed, faults, run_simulation) -> dict:
    """The simulation with the progress display of a run: a live line on a terminal, one plain
    line when it ends otherwise."""
    from cli.console import Progress

    click.echo(f"simulating {days} days of a {scale} shop from {first} (seed {seed})", err=True)
    progress = Progress()
    progress.step_started("simulate", days)  # the simulator reports each day once it is written
    try:
        return run_simulation(
            settings.landing,
            first,
            days,
            scale=scale,
            seed=seed,
            faults=faults,
            base_currency=settings.base_currency,
            home_country=settings.home_country,
            tz=settings.tz,
            progress=progress.update,
        )
    except BaseException:
        progress.failed("simulate")
        raise
    finally:
        progress.finish()


def _run(settings: Settings, start: date, end: date, full_refresh: bool = False, verbose: bool = False) -> None:
    """One Dagster run over start..end with a progress display and a summary; exit 1 when it fails,
    2 when the landing zone does not hold those days."""
    from cli.console import Progress, render_summary, run_console
    from ingest import ENTITIES
    from orchestration import WindowOutsideHistory, run_window

    if end < start:
        raise click.UsageError(f"--end {end} is before --start {start}")
    mode = " (dbt full refresh)" if full_refresh else ""
    click.echo(f"running batch days {start}..{end} as one Dagster run{mode}", err=True)
    started = time.monotonic()

    def waiting() -> None:
        click.echo(f"waiting for another run of this warehouse to finish ({settings.home / 'run.lock'})", err=True)

    try:
        with run_console(Progress(), verbose, raw_steps=len(ENTITIES)):
            report = run_window(settings, start, end, full_refresh=full_refresh, on_wait=waiting)
    except WindowOutsideHistory as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(render_summary(report, settings, time.monotonic() - started))
    if not report.success:
        raise click.ClickException(report.one_line())


_FULL_REFRESH_HELP = (
    "Rebuild every incremental dbt model from all loaded raw rows (dbt --full-refresh) "
    "instead of only the days the batches touch."
)


@main.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="One batch day (default: yesterday).")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First batch day of a range.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last batch day of a range (inclusive).")
@click.option("--full-refresh", is_flag=True, help=_FULL_REFRESH_HELP)
@click.option("--verbose", "-v", is_flag=True, help="Also print dbt's and Dagster's detail (always in the log file).")
def run(day, start, end, full_refresh, verbose) -> None:
    """Ingest, gate, build, publish and rebuild dashboards for batch days: one Dagster run."""
    if day and (start or end):
        raise click.UsageError("give either --date or --start/--end")
    if bool(start) != bool(end):
        raise click.UsageError("--start and --end go together")
    if day:
        start = end = day
    settings = _settings(reads_landing=True)
    first = start.date() if start else settings.yesterday()
    last = end.date() if end else first
    _run(settings, first, last, full_refresh, verbose)


@main.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First batch day.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last batch day (inclusive).")
@click.option("--full-refresh", is_flag=True, help=_FULL_REFRESH_HELP)
@click.option("--verbose", "-v", is_flag=True, help="Also print dbt's and Dagster's detail (always in the log file).")
def backfill(start, end, full_refresh, verbose) -> None:
    """Re-run a range of batch days as a single Dagster run (one dbt invocation)."""
    if end < start:
        raise click.UsageError(f"--end {end.date()} is before --start {start.date()}")
    _run(_settings(reads_landing=True), start.date(), end.date(), full_refresh, verbose)


@main.command()
@click.option(
    "--every",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds between looks at the landing zone.",
)
@click.option(
    "--settle",
    default=120,
    show_default=True,
    type=click.IntRange(min=0),
    help="Seconds a batch day's files must stay unchanged before it runs (an upstream system may still be writing).",
)
@click.option("--once", is_flag=True, help="Run what is due now, then exit (exit 1 if that run failed): for cron.")
@click.option("--verbose", "-v", is_flag=True, help="Also print dbt's and Dagster's detail (always in the log file).")
def watch(every, settle, once, verbose) -> None:
    """Stay running and run every batch day as it lands, in this one process.

    New `dt=` folders, late folders of old days and changed files are run once their files
    settled, up to yesterday (a day runs once it is complete). The runs are the ones `warehouse
    run` makes, on the same Dagster instance, but the process stays: from the second run on, a
    daily run skips the start a new process pays (imports, dbt's parse, GX), ~15 s of a tiny
    shop's ~30 s. Stop with Ctrl-C. Use this or the Dagster daemon's landing sensor, not both."""
    import signal

    from cli.console import Progress, render_summary, run_console
    from ingest import ENTITIES
    from orchestration import watch_once

    settings = _settings(reads_landing=True)
    # SIGTERM (a service manager's stop) ends the watcher as Ctrl-C does, also when it was started
    # in the background, where SIGINT is ignored (Dagster maps SIGTERM to SIGINT's handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    click.echo(f"watching {settings.landing} (every {every}s, files settled for {settle}s); Ctrl-C stops", err=True)

    def starting(start: date, end: date) -> None:
        window = f"{start}" if start == end else f"{start}..{end}"
        click.echo(f"{time.strftime('%H:%M:%S')} running batch days {window} as one Dagster run", err=True)

    failed = False
    try:
        while True:
            started = time.monotonic()
            with run_console(Progress(), verbose, raw_steps=len(ENTITIES)):
                done = watch_once(settings, settle, on_start=starting)
            if done.run is not None:
                click.echo(render_summary(done.run, settings, time.monotonic() - started))
                failed = not done.run.success
            elif once:
                waiting = f"; {done.waiting} batch day(s) settling or not complete yet" if done.waiting else ""
                busy = "another run holds the working database" if done.busy else "no new or changed batch days"
                click.echo(f"{busy}{waiting}", err=True)
            if once:
                break
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    if once and failed:
        raise SystemExit(1)


@main.command("rotate-key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--verbose", "-v", is_flag=True, help="Also print dbt's and Dagster's detail (always in the log file).")
def rotate_key(yes, verbose) -> None:
    """Replace the personal-data key and rebuild the whole history with it.

    Every pseudonymous key in the marts (customer_key, the hashes in staging) changes; lists of
    keys kept outside the warehouse no longer match (docs/design.md, "Rotating the key")."""
    from orchestration import landed_range, rotate_key

    settings = _settings(reads_landing=True)
    history = landed_range(settings)
    if history is None:
        raise click.ClickException(f"the landing zone {settings.landing} holds no batch days to rebuild")
    if not yes:
        click.confirm("Every pseudonymous key in the marts will change. Go on?", abort=True, err=True)
    try:
        rotate_key(settings)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo("a new personal-data key is in place; rebuilding the whole history with it", err=True)
    _run(settings, *history, full_refresh=True, verbose=verbose)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
def status(as_json) -> None:
    """Freshness per source, the last runs, failed and warned checks, quarantine counts.

    Exit code: 0 healthy, 1 the last run failed, 3 a source's latest batch day is older than
    WAREHOUSE_STALE_AFTER_DAYS (2 unless set)."""
    import json

    from cli.status import collect_status, exit_code, render_status

    report = collect_status(_settings())
    click.echo(json.dumps(report, indent=2) if as_json else render_status(report))
    raise SystemExit(exit_code(report))


@main.command()
@click.argument("sql")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (RFC 4180, header + every row) instead of a table.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON array of objects (every row; dates ISO strings, decimals numbers).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write every row to FILE instead (CSV, or JSON for --json or a .json name).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    metavar="N",
    help="Rows the table shows (0: all); its last line counts every row.",
)
def query(sql, as_csv, as_json, out, max_rows) -> None:
    """Run read-only SQL against the serving database and print the result.

    The table fits the terminal: text cut to fit ends in `…`, NULL reads `null`, a result too
    wide for the terminal prints one block per row, and the last line counts every row
    (`1,234 rows (50 shown)`). --csv, --json and --out carry every row. Examples:

      warehouse query "SELECT * FROM marts.kpi_daily ORDER BY date DESC LIMIT 5"

      warehouse query "SELECT * FROM marts.kpi_daily" --out kpi_daily.csv
    """
    from pathlib import Path

    from cli.table_output import WRITERS, output_format, render_table, terminal_width
    from serving import QueryError, fetch_serving, serving_query

    if as_csv and as_json:
        raise click.UsageError("give either --csv or --json")
    settings = _settings()
    try:
        if out is None and not (as_csv or as_json):
            columns, rows, total = fetch_serving(settings, sql, max_rows or None)
            click.echo(render_table(columns, rows, total, terminal_width()))
            return
        out = Path(out) if out is not None else None
        write = WRITERS[output_format(as_csv, as_json, out)]
        with serving_query(settings, sql) as result:
            if out is None:
                write(result.columns, result, sys.stdout)
                sys.stdout.flush()
            else:
                try:
                    with open(out, "w", newline="", encoding="utf-8") as handle:
                        count = write(result.columns, result, handle)
                except BaseException:
                    out.unlink(missing_ok=True)  # no half-written file left behind
                    raise
                click.echo(f"wrote {count:,} {'row' if count == 1 else 'rows'} to {out}", err=True)
    except QueryError as exc:  # DuckDB's message with its hints (`Did you mean ...?`), on one line
        raise click.ClickException(str(exc)) from exc


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


@main.command()
@click.option("--metrics", help="Comma-separated metric names, e.g. gmv,aov (see --list).")
@click.option(
    "--group-by",
    default="",
    help="Comma-separated dimensions to slice by, e.g. "
    "metric_time__day,order__platform; metric_time__week/__month roll up local days.",
)
@click.option(
    "--where",
    multiple=True,
    help="Filter, MetricFlow syntax: \"{{ Dimension('order__platform') }} = 'app'\" (repeatable).",
)
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
    from serving import MetricEngine, MetricQueryError

    engine = MetricEngine(_settings())
    if list_only:
        for info in engine.list_metrics():
            click.echo(f"{info.name} ({info.type}): {info.description}")
            click.echo(f"    by: {', '.join(info.dimensions)}")
        return
    if not _names(metrics):
        raise click.UsageError("give --metrics (see `warehouse metrics --list`)")
    request = dict(
        metrics=_names(metrics),
        group_by=_names(group_by),
        where=list(where),
        start=start_time.date() if start_time else None,
        end=end_time.date() if end_time else None,
        order=_names(order),
        limit=limit,
    )
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
    from cli.ui_process import run_dagster_ui
    from orchestration import dagster_instance

    settings = _settings(reads_landing=True)
    dagster_instance(settings).dispose()  # writes dagster.yaml on first use
    click.echo(f"Dagster UI on http://127.0.0.1:{port} (instance {settings.dagster_home})", err=True)
    # Ctrl-C or SIGTERM stops the webserver, the daemon and every process they started.
    result = run_dagster_ui(port, settings.dagster_home)
    if result.failed_child:
        click.echo(f"error: the Dagster {result.failed_child} exited with code {result.code}", err=True)
    click.echo("stopped the Dagster UI", err=True)
    raise SystemExit(result.code)


@main.command()
@click.option("--open", "serve", is_flag=True, help="After building, serve the site on 127.0.0.1 and print its link.")
@click.option("--port", type=int, default=8050, show_default=True, help="Port of --open (0: any free port).")
def dashboards(serve, port) -> None:
    """Build the leadership dashboards (a static site of eight pages) from the serving database.

    The site is WAREHOUSE_HOME/dashboards: open index.html from disk, or use --open to serve it on
    localhost (nothing leaves the machine). Every good pipeline run rebuilds it by itself."""
    from dashboards import build_site

    settings = _settings()
    index = build_site(settings.serving_db, settings.dashboards_dir, settings.base_currency)
    click.echo(f"dashboards built: {index}")
    if serve:
        from dashboards import serve_forever

        serve_forever(settings.dashboards_dir, port)


@main.command()
@click.option("--open", "open_site", is_flag=True, help="Open the site in the default web browser afterwards.")
def docs(open_site) -> None:
    """Build the dbt documentation site: every model, mart and column with its definition, and the
    lineage graph, as one HTML file under WAREHOUSE_HOME/docs.

    Works offline and while a run is going on (it reads the dbt project, not the databases)."""
    from transform import build_docs

    settings = _settings()
    try:
        site = build_docs(settings)
    except RuntimeError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"dbt docs: {site}")
    if open_site:
        click.launch(str(site))


@main.command()
@click.option("--days", type=int, default=90, show_default=True)
@click.option("--scale", type=click.Choice(["tiny", "small", "large"]), default="small", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--verbose", "-v", is_flag=True, help="Also print dbt's and Dagster's detail (always in the log file).")
def demo(days, scale, seed, verbose) -> None:
    """The main job end to end: simulate a shop, run the pipeline over it, print a few KPIs."""
    from cli.table_output import render_table, terminal_width
    from serving import fetch_serving
    from simulator import simulate as run_simulation

    settings = _settings()
    last = settings.yesterday()
    first = last - timedelta(days=days - 1)
    _simulate(settings, first, days, scale, seed, False, run_simulation)
    _run(settings, first, last, verbose=verbose)
    columns, rows, total = fetch_serving(
        settings,
        "SELECT date, paid_orders, round(gmv, 0) AS gmv, round(net_revenue, 0) AS net_revenue, round(aov, 1) AS aov, "
        "sessions, round(conversion_rate, 4) AS conversion_rate, new_customers, round(csat, 3) AS csat "
        "FROM marts.kpi_daily ORDER BY date DESC LIMIT 7",
        None,
    )
    click.echo(f"last {len(rows)} days of marts.kpi_daily (money in {settings.base_currency}):")
    click.echo(render_table(columns, rows, total, terminal_width()))
    click.echo(f"dashboards:   {settings.dashboards_dir / 'index.html'}  (or: warehouse dashboards --open)")
    click.echo("Dagster UI:   warehouse ui  -> http://127.0.0.1:3000")
    click.echo('ask anything: warehouse query "SELECT * FROM marts.kpi_daily ORDER BY date DESC LIMIT 5"')


if __name__ == "__main__":
    main()
