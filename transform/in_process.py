"""A run's `dbt build` on DuckDB, inside the calling process.

A dbt process of its own costs a daily run ~4.5 s before and around dbt's work: importing dbt
again (the run's process has most of it loaded already, for dagster-dbt), reading the carried
parse state and rebuilding the manifest from it, printing every event as a JSON line that the run
parses back. Here dbt runs where the run is, with the manifest kept between invocations of one
process (a scheduler's, a backfill's, the tests') as long as the project files and the vars it was
parsed with stay the same: the first invocation parses (from the carried parse state, as a dbt
process would), the next ones build at once.

What a dbt process got for free is done by hand: dbt works in the warehouse home (the profile and
the key plugin name their files relative to it, transform/launch.py) and the DuckDB database dbt-duckdb
keeps open for the life of a process is closed after each invocation, so the run's own connections
and other processes can open the file again. Spark's build keeps its own process (the session runs
a JVM in the dbt process).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transform.project import TRANSFORM_DIR, newest_project_mtime

# dbt prints nothing itself: the events come back through the callback (stdout is the run's)
_SILENT = ["--log-level", "none", "--log-level-file", "none"]

# manifests of the last few (project folder, vars, project files' age): a scheduler's process
# builds one warehouse, a test process several with the same settings
KEEP_MANIFESTS = 2

_LOCK = threading.Lock()  # one dbt at a time per process: dbt's state (flags, adapters) is global
_manifests: dict[tuple[str, str, float], Any] = {}


@dataclass
class Invocation:
    success: bool = False
    # dbt's events at info level and above, each as a line of dbt's JSON log holds it
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # why dbt stopped before its end, when it did


def invoke(
    home: Path,
    args: list[str],
    target: Path,
    project_dir: Path = TRANSFORM_DIR,
    on_line: Callable[[str], None] = lambda line: None,
) -> Invocation:
    """Run dbt with `args` (a `--vars` among them) in `home`, its files in `target`; `on_line`
    gets the text of each event at info level and above as dbt would print it."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    done = Invocation()

    def keep(msg) -> None:
        if msg.info.level == "debug":  # thousands per build (every statement): not turned into dicts
            return
        done.events.append(msg_to_dict(msg))
        on_line(msg.info.msg)

    where = ["--project-dir", str(project_dir), "--profiles-dir", str(TRANSFORM_DIR), "--target-path", str(target)]
    with _LOCK, _working_directory(home):
        try:
            manifest, parse_error = _manifest(project_dir, _vars_of(args), where)
            if manifest is None:
                done.error = f"dbt could not parse the project: {parse_error}"
                return done
            result = dbtRunner(manifest=manifest, callbacks=[keep]).invoke([*args, *where, *_SILENT])
        finally:
            _close_duckdb()
    done.success = bool(result.success)
    if result.exception is not None:
        done.error = _first_line(result.exception)
    return done


def _first_line(exception: BaseException) -> str:
    text = str(exception).strip()
    return text.splitlines()[0] if text else repr(exception)


def _vars_of(args: list[str]) -> str:
    return args[args.index("--vars") + 1] if "--vars" in args else "{}"


def _manifest(project_dir: Path, variables: str, where: list[str]) -> tuple[Any, str | None]:
    """(dbt's manifest of the project with these vars, None), or (None, why it could not be
    parsed): kept from an earlier invocation of this process while no project file changed since,
    else parsed (partially, from the parse state carried into the target folder)."""
    from dbt.cli.main import dbtRunner

    key = (str(project_dir), variables, newest_project_mtime(project_dir))
    if key not in _manifests:
        # no manifest.json written (~1 s): the run reads the parsed result; the parse state is written
        parsed = dbtRunner().invoke(["parse", *where, "--vars", variables, "--no-write-json", *_SILENT])
        if not parsed.success:
            return None, _first_line(parsed.exception) if parsed.exception else "see dbt's messages"
        while len(_manifests) >= KEEP_MANIFESTS:
            _manifests.pop(next(iter(_manifests)))
        _manifests[key] = parsed.result
    return _manifests[key], None


def _close_duckdb() -> None:
    """Close the database dbt-duckdb keeps open for the process's life (it closes it at exit)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if env is not None:
        env.close()


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)
