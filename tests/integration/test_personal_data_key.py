"""The personal-data key stays secret and a run's state stays in its home (docs/design.md,
"Personal-data key and the run's state"): a shop's daily runs with the code directory read-only
keep a bounded state in the home, and the key is in no file but `hash_key`, inside the home or out."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.warehouse import EDGE_SHOP, EDGE_SHOP_DAYS, new_settings, read_table, run_ok
from transform import KEEP_RUNS, TRANSFORM_DIR, prune_runs, runs_dir

PROJECT = TRANSFORM_DIR.parent
# what a checkout holds besides the code: the environment, tools and history (not written by runs)
_NOT_PROJECT_FILES = {".venv", ".tools", ".git"}
BIN = Path(sys.executable).parent
FIRST_DAY = date(2026, 6, 1)


def _files(root: Path, skip: set[str] = frozenset()):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) == root and d in skip)]
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _holding(files, needle: bytes) -> list[str]:
    return [str(p) for p in files if needle in p.read_bytes()]


# Runs a command with the project directory mounted read-only, in a mount namespace of its own
# (needs root, or a user namespace): a write there fails with EROFS whoever tries it.
_READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def _read_only_project_works() -> bool:
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", _READ_ONLY, str(PROJECT), "sh", "-c", f"! touch {PROJECT}/.probe"],
        capture_output=True,
    )
    return probe.returncode == 0 and not (PROJECT / ".probe").exists()


# A shop's daily runs after its first: one process, one run per batch day, as a scheduler would
# start them (the same code as `warehouse run --date D`, without its start-up each time).
_DAILY_RUNS = """
import sys
from datetime import date
from config import load_settings
from orchestration import run_window
settings = load_settings()
for day in sys.argv[1:]:
    report = run_window(settings, date.fromisoformat(day), date.fromisoformat(day))
    if not report.success:
        sys.exit(report.one_line())
"""
DAYS = KEEP_RUNS + 1  # more dbt invocations than are kept


@pytest.fixture(scope="module")
def read_only_run(tmp_path_factory):
    """A tiny simulated shop run day by day for DAYS days with the project directory (code, dbt
    project and the virtual environment in it) read-only, so any write there fails the run: the
    first day by `warehouse run`, the others in one process. (home, the results)."""
    if not shutil.which("unshare") or not _read_only_project_works():
        pytest.skip("mounting the project read-only needs unshare and mount (root or a user namespace)")
    from simulator import simulate

    base = tmp_path_factory.mktemp("read_only_run")
    home, landing = base / "home", base / "landing"
    days = [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
    simulate(landing, FIRST_DAY, DAYS, scale="tiny", seed=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DAGSTER_", "DBT_"))}
    env |= {"WAREHOUSE_HOME": str(home), "WAREHOUSE_LANDING": str(landing)}
    read_only = ["unshare", "--mount", "sh", "-c", _READ_ONLY, str(PROJECT)]
    results = []
    for command in (
        [str(BIN / "warehouse"), "run", "--date", days[0].isoformat()],
        [sys.executable, "-c", _DAILY_RUNS, *(d.isoformat() for d in days[1:])],
    ):
        done = subprocess.run(read_only + command, env=env, cwd=base, capture_output=True, text=True, timeout=1800)
        results.append(done)
        if done.returncode != 0:
            break
    return home, results


def _ok(results) -> None:
    for done in results:
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def test_daily_runs_write_nothing_in_the_code_directory_and_keep_their_state_bounded(read_only_run):
    home, results = read_only_run
    _ok(results)
    kpis = read_table(home / "serving.duckdb", "SELECT count(*) AS days FROM marts.kpi_daily")
    assert kpis["days"][0] >= DAYS - 1
    # dbt's artifacts and logs are the home's, and only the last few invocations' are kept
    runs = sorted(runs_dir_of(home).iterdir())
    assert len(runs) == KEEP_RUNS < DAYS
    sizes = [sum(p.stat().st_size for p in _files(run)) for run in runs]
    dbt_bytes = sum(p.stat().st_size for p in _files(home / "dbt"))
    assert dbt_bytes <= (KEEP_RUNS + 2) * max(sizes), (dbt_bytes, sizes)
    # every invocation after the first parsed only what changed (nothing): the window is not a var
    full_parses = [run.name for run in runs if "Unable to do partial parsing" in (run / "dbt.log").read_text()]
    assert full_parses == []
    # and the window each one read is gone once its build is done
    tables = read_table(home / "warehouse.duckdb", "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'ops'")
    assert "dbt_run_window" not in tables["table_name"].to_list()


def runs_dir_of(home: Path) -> Path:
    from config import load_settings

    return runs_dir(load_settings(home=home))


def test_the_key_is_in_no_file_but_its_own(read_only_run):
    home, results = read_only_run
    _ok(results)
    key = (home / "hash_key").read_text().strip().encode()
    assert len(key) == 32
    # the run hashed personal data with this very key (read by the plugin at run time)
    db = home / "warehouse.duckdb"
    hashed = set(read_table(db, "SELECT ip_address_hash AS h FROM staging.stg_shop__orders")["h"].drop_nulls())
    clear = read_table(db, "SELECT DISTINCT ip_address FROM raw.shop_orders")["ip_address"].drop_nulls()
    assert hashed and hashed <= {hashlib.sha256(key + b":" + ip.encode()).hexdigest() for ip in clear}
    inside = [p for p in _files(home) if p.name != "hash_key"]
    assert any(p.suffix == ".sql" for p in inside), "the run left compiled SQL to search"
    assert any(p.name == "dbt.log" for p in inside) and any(p.name == "run_results.json" for p in inside)
    assert _holding(inside, key) == []
    assert _holding(_files(PROJECT, _NOT_PROJECT_FILES), key) == []
    assert all(key.decode() not in done.stdout + done.stderr for done in results)


def test_the_search_would_find_a_leaked_key(tmp_path):
    """The search above is not vacuous: a key written into a compiled-SQL file is found."""
    leaked = tmp_path / "compiled.sql"
    leaked.write_text("select sha256('0123456789abcdef0123456789abcdef' || ':' || email)")
    assert _holding(_files(tmp_path), b"0123456789abcdef0123456789abcdef") == [str(leaked)]


def test_old_dbt_artifacts_are_pruned(tmp_path):
    from config import load_settings

    settings = load_settings(home=tmp_path)
    folders = []
    for i in range(KEEP_RUNS + 3):
        folder = runs_dir(settings) / f"run-{i}"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
        folders.append(folder)
    removed = prune_runs(settings)
    assert removed == folders[:3]
    assert sorted(runs_dir(settings).iterdir()) == folders[3:]


def test_rotating_the_key_rebuilds_every_pseudonym_and_nothing_else(tmp_path, monkeypatch):
    """After `rotate_key` the next run, even of one day, rebuilds all history with the new key:
    every pseudonym changes, no old one survives in an incremental model, the figures stay."""
    from config import key_rebuild_pending
    from orchestration import rotate_key

    monkeypatch.delenv("WAREHOUSE_HASH_KEY", raising=False)
    settings = new_settings(tmp_path / "home", EDGE_SHOP)
    first, last = EDGE_SHOP_DAYS
    run_ok(settings, first, last)
    pseudonyms = "SELECT DISTINCT anonymous_id_hash AS h FROM staging.stg_traffic__events"  # incremental
    old_key, old = settings.hash_key, set(read_table(settings.working_db, pseudonyms)["h"].drop_nulls())
    figures = "SELECT * EXCLUDE (customer_key) FROM marts.customer_rfm ORDER BY ALL"
    old_figures = read_table(settings.serving_db, figures)

    rotate_key(settings)
    assert settings.hash_key != old_key and key_rebuild_pending(settings.home)
    run_ok(settings, last, last)  # one day's run: the pending rebuild makes it a full one
    assert not key_rebuild_pending(settings.home)
    new = set(read_table(settings.working_db, pseudonyms)["h"].drop_nulls())
    assert new and not new & old and len(new) == len(old)
    assert read_table(settings.serving_db, figures).equals(old_figures)


def test_rotate_key_refuses_a_key_set_in_the_environment(tmp_path, monkeypatch):
    from config import SettingsError, rotate_hash_key

    monkeypatch.setenv("WAREHOUSE_HASH_KEY", "k" * 32)
    with pytest.raises(SettingsError, match="WAREHOUSE_HASH_KEY sets the personal-data key"):
        rotate_hash_key(tmp_path)
    assert not (tmp_path / "hash_key").exists()
