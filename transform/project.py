"""The dbt project as the rest of the warehouse calls it: where it is, what every invocation passes
(the settings as vars, never as environment variables and never the personal-data key), where
its artifacts go (under $WAREHOUSE_HOME/dbt, so the project directory may be read-only), and the
parsed manifest the orchestration and the semantic layer read."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from config import Settings, private_dir, private_opener

TRANSFORM_DIR = Path(__file__).resolve().parent

# A manifest parsed at setup time (scripts/bootstrap: `python -m transform`), shipped with
# the code like a compiled file: used as long as no project file is newer. Runs never write here.
PREPARED_TARGET = TRANSFORM_DIR / "target"

# What a run's `dbt build` leaves out: dbt's unit tests, as dbt advises for production. They test
# the SQL on fixed inputs, not the data, so the test suite runs them and a run would only repeat
# them, on its critical path.
RUN_EXCLUDES = ["--exclude-resource-type", "unit_test"]

# dbt's log file at info level (each node's start, result and errors), where dbt writes its own
# files (Spark, the standalone tools): at debug level it holds every statement dbt sends, about
# 30 MB for one day of the tiny shop, written on the run's critical path.
RUN_LOG_LEVEL = ["--log-level-file", "info"]

# A run's build on DuckDB writes neither dbt's JSON artifacts nor its log file; the results and the
# printed lines are kept from what dbt prints instead (build_results.py, where the why is).
RUN_QUIET_FILES = ["--no-write-json", "--log-level-file", "none"]

# Artifacts of this many recent dbt invocations are kept under $WAREHOUSE_HOME/dbt/runs for
# debugging (a failed run, the one before it and its rerun); older ones are removed, so disk use
# does not grow with the number of runs.
KEEP_RUNS = 3

_WATCHED_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots")


def dbt_executable() -> Path:
    # dbt lives in the same virtual environment as this interpreter, which need not be on PATH.
    return Path(sys.executable).parent / "dbt"


def dbt_launcher(home: Path) -> list[str]:
    """The command that starts dbt with `home` as its working directory (transform/launch.py);
    dbt's own arguments follow it. -P: the working directory of the caller (the project folder,
    for dagster-dbt) is not put on the module path."""
    return [sys.executable, "-P", "-m", "transform.launch", str(home)]


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The settings dbt reads (profiles.yml, macros/settings.sql). Not the home's paths: dbt runs in
    the home (dbt_launcher), so warehouses with the same settings share one parse state. Not the
    personal-data key: the DuckDB session gets it from the plugin transform/pseudonym.py."""
    return {
        "memory_limit": settings.memory_limit,
        "reporting_tz": settings.tz,
        "base_currency": settings.base_currency,
        "home_country": settings.home_country,
        "refund_window_days": str(settings.refund_window_days),
    }


def default_vars() -> dict[str, str]:
    """The vars of a warehouse with default settings, whatever this process's environment says:
    the parse at setup uses them, so its parse state fits such a warehouse's first run."""
    defaults = Settings.model_construct()  # defaults only: neither validated nor read from the environment
    return dbt_vars(defaults)


def vars_arg(settings: Settings | None, extra: dict | None = None) -> list[str]:
    """`--vars` with the settings (default ones without `settings`) and `extra`."""
    variables = dbt_vars(settings) if settings else default_vars()
    return ["--vars", json.dumps({**variables, **(extra or {})}, sort_keys=True)]


def dbt_command(
    settings: Settings | None,
    args: list[str],
    target_path: Path,
    extra_vars: dict | None = None,
    home: Path | None = None,
) -> list[str]:
    """A whole dbt command line for this warehouse, run in `home` (default: the warehouse's; without
    `settings`, at setup: `target_path`). For scripts, tests and benchmarks; the pipeline goes
    through dagster-dbt with the same launcher and arguments."""
    return [
        *dbt_launcher(home or (settings.home if settings else target_path)),
        *args,
        "--project-dir",
        str(TRANSFORM_DIR),
        "--profiles-dir",
        str(TRANSFORM_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
        *vars_arg(settings, extra_vars),
    ]


def run_dbt(command: list[str], what: str) -> None:
    """Run a dbt command line (dbt_command) to its end; RuntimeError with dbt's last line if it fails."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()
        raise RuntimeError(f"{what} failed: {detail[-1] if detail else done.returncode}")


def runs_dir(settings: Settings) -> Path:
    """Where each dbt invocation of a run leaves its artifacts (one folder each)."""
    return settings.dbt_dir / "runs"


def prune_runs(settings: Settings, keep: int = KEEP_RUNS) -> list[Path]:
    """Remove the artifacts of all but the `keep` newest invocations; returns what was removed."""
    folders = sorted((p for p in runs_dir(settings).glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    removed = folders[: max(len(folders) - keep, 0)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


# The run's window of batch days, handed to dbt in the working database rather than as vars
# (macros/batch_window.sql): with the settings as the only vars, they stay the same from run to run
# and dbt re-parses only the files that changed since the warehouse's previous invocation.
RUN_WINDOW_TABLE = "ops.dbt_run_window"


def set_run_window(con, min_date: str, max_date: str) -> None:
    """Write the window the next `dbt build` reads (one row, replacing any left by a killed run)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    con.execute(f"CREATE OR REPLACE TABLE {RUN_WINDOW_TABLE} (min_date DATE NOT NULL, max_date DATE NOT NULL)")
    con.execute(f"INSERT INTO {RUN_WINDOW_TABLE} VALUES (CAST(? AS DATE), CAST(? AS DATE))", [min_date, max_date])


def clear_run_window(con) -> None:
    """After the build: a `dbt build` by hand without vars then covers every batch again."""
    con.execute(f"DROP TABLE IF EXISTS {RUN_WINDOW_TABLE}")


@contextmanager
def checkpoint_behind(con) -> Iterator[None]:
    """Within: a CHECKPOINT on a cursor of its own, in another thread, while the caller reads. A
    build's writes wait in DuckDB's write-ahead log (~75 MB on a daily run of the medium shop: with
    two models building at once DuckDB seldom finds a moment to checkpoint), and moving them into
    the database file took ~1.5 s of one core at the next commit. DuckDB checkpoints beside
    transactions that began after the last write: the run's data tests read meanwhile. Leaving
    the block waits for it and raises what it raised."""
    cursor = con.cursor()
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="checkpoint") as behind:
            done = behind.submit(_checkpoint, cursor)
            yield
            done.result()
    finally:
        cursor.close()


def _checkpoint(cursor) -> None:
    try:
        cursor.execute("CHECKPOINT")
    except duckdb.TransactionException:
        pass  # a session is mid-write: DuckDB then checkpoints at a later commit by itself


# profiles.yml's `threads`: the models dbt builds at once on DuckDB
DBT_THREADS = 2

# An incremental build of a window of at most this many batch days shares the cores out (below).
# Measured on the medium shop: a day's run 1.5-2 s faster with the cores shared, 14 days the same,
# 61 days 5 s slower (the clickstream's chain of models then waits on one long query at a time).
SHARED_CORES_MAX_DAYS = 7


def shares_cores(min_date: str, max_date: str, full_refresh: bool) -> bool:
    """Whether a build of the batch days `min_date`..`max_date` runs each query on a share of the
    cores (share_cores)."""
    days = (date.fromisoformat(max_date) - date.fromisoformat(min_date)).days + 1
    return not full_refresh and days <= SHARED_CORES_MAX_DAYS


def share_cores(con) -> None:
    """From now on, each query of `con`'s database runs on its share of the cores: DuckDB's default
    thread count over DBT_THREADS, at least one, instead of every core. A small run keeps every
    core busy with dbt's models side by side and its tests two at a time; a query over a few days'
    rows spread over several threads spent more in coordinating them than it gained. DuckDB's
    thread count belongs to the open database: every session of it follows, dbt's included."""
    con.execute("RESET threads")
    cores = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute(f"SET threads = {max(1, cores // DBT_THREADS)}")


def all_cores(con) -> None:
    """Each query of `con`'s database on every core again (DuckDB's default)."""
    con.execute("RESET threads")


# dbt's parse state of the warehouse's latest invocation (dbt: partial_parse.msgpack). Each
# invocation writes its artifacts to a folder of its own; this file is carried from one to the
# next, so a run parses only what changed (nothing, in production) instead of the whole project.
PARSE_STATE = "partial_parse.msgpack"


def _kept_parse_state(settings: Settings) -> Path:
    """Where the home keeps the parse state, named for the project folder it was made from. The
    state holds that folder's absolute paths (a seed is loaded from its path) and dbt does not
    notice a project that moved (a new release in a new folder): carried over, an unchanged
    seed's old path fails the run once the old folder is gone."""
    folder = hashlib.sha256(str(TRANSFORM_DIR).encode()).hexdigest()[:16]
    return settings.dbt_dir / f"partial_parse-{folder}.msgpack"


def carry_parse_state(settings: Settings, target: Path) -> None:
    """Put the warehouse's last parse state of this project folder into `target` before an
    invocation; a warehouse without one gets the state of the parsed project (parsed_project),
    which fits when its settings are the ones that parse used (else dbt parses the whole project)."""
    kept = _kept_parse_state(settings)
    if not kept.exists():
        kept = parsed_project(settings) / PARSE_STATE
    if kept.exists():
        target.mkdir(parents=True, exist_ok=True)
        _copy_private(kept, target / PARSE_STATE)


def keep_parse_state(settings: Settings, target: Path) -> None:
    """Keep the parse state an invocation left in `target` for the next one, and only that one."""
    state = target / PARSE_STATE
    if state.exists():
        private_dir(settings.dbt_dir)
        kept = _kept_parse_state(settings)
        _copy_private(state, kept)
        for other in settings.dbt_dir.glob("partial_parse*.msgpack"):
            if other != kept:
                other.unlink(missing_ok=True)


def _copy_private(source: Path, destination: Path) -> None:
    # the parse state holds compiled project files only, but everything under the home is the owner's
    with open(source, "rb") as src, open(destination, "wb", opener=private_opener) as dst:
        shutil.copyfileobj(src, dst)


def newest_project_mtime(project_dir: Path = TRANSFORM_DIR) -> float:
    """When a file of the dbt project in `project_dir` (or its profile) last changed."""
    watched = [project_dir / "dbt_project.yml", TRANSFORM_DIR / "profiles.yml"]
    for folder in _WATCHED_FOLDERS:
        watched += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in watched if p.exists())


def newer_than_the_project(path: Path) -> bool:
    """Whether `path` exists and no project file changed after it was written."""
    return path.exists() and path.stat().st_mtime >= newest_project_mtime()


def _current(target: Path) -> bool:
    return newer_than_the_project(target / "manifest.json") and (target / "semantic_manifest.json").exists()


def _parse(settings: Settings | None, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    # several processes may need the manifest at once (parallel test workers, the UI beside a
    # run): one parses, the others wait and then find it current
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _current(target):
            return
        run_dbt(dbt_command(settings, ["parse", "--quiet"], target), "dbt parse")


def parsed_project(settings: Settings) -> Path:
    """A folder with the current manifest.json and semantic_manifest.json: the prepared one when
    it is current, else one parsed into $WAREHOUSE_HOME/dbt/manifest (when missing or older than
    any project file)."""
    if _current(PREPARED_TARGET):
        return PREPARED_TARGET
    target = settings.dbt_dir / "manifest"
    if not _current(target):
        _parse(settings, target)
    return target


def prepare() -> Path:
    """Parse the project into transform/target at setup time (a writable checkout only)."""
    if not _current(PREPARED_TARGET):
        _parse(None, PREPARED_TARGET)
    return PREPARED_TARGET
