"""Modes of the files the warehouse writes (config/files.py; docs/design.md, "Files, modes and
sharing"): personal data and the hash key 0600 in 0700 directories, whatever the umask; the
serving database and the dashboards 0640 in 0750 directories, for the analysts' group."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

import config.files as files
from config import (
    create_private,
    make_private,
    make_shared,
    private_dir,
    private_opener,
    share_tree,
    shared_dir,
    write_private_text,
)
from tests.support.warehouse import EDGE_SHOP, EDGE_SHOP_DAYS, new_settings, read_table, run_ok

WAREHOUSE = str(Path(sys.executable).parent / "warehouse")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@contextmanager
def umask(value: int):
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


class _WatchedOs:
    """Stands for `os` inside config/files.py: after every call it makes, the mode of every file
    in `folder` is noted, so a moment where a file is readable by others would be seen."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.seen: list[tuple[str, int]] = []

    def __getattr__(self, name):
        attr = getattr(os, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            self.seen += [(p.name, mode(p)) for p in self.folder.iterdir() if p.is_file()]
            return result

        return call


# --- the helpers -----------------------------------------------------------------------------


def test_private_dir_is_0700_even_with_umask_0_and_tightens_an_existing_one(tmp_path):
    with umask(0):
        made = private_dir(tmp_path / "a" / "b")
    assert made == tmp_path / "a" / "b" and mode(made) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    assert mode(private_dir(loose)) == 0o700


def test_shared_dir_is_0750_and_keeps_a_setgid_bit(tmp_path):
    with umask(0):
        assert mode(shared_dir(tmp_path / "site")) == 0o750
    group_owned = tmp_path / "home"
    group_owned.mkdir()
    os.chmod(group_owned, 0o2775)
    assert mode(shared_dir(group_owned)) == 0o2750


def test_write_private_text_never_shows_group_or_other_bits_even_with_umask_0(tmp_path, monkeypatch):
    watched = _WatchedOs(tmp_path)
    monkeypatch.setattr(files, "os", watched)
    with umask(0):
        assert write_private_text(tmp_path / "hash_key", "secret") is True
    monkeypatch.undo()
    assert (tmp_path / "hash_key").read_text() == "secret"
    assert mode(tmp_path / "hash_key") == 0o600
    assert any(name.endswith(".tmp") for name, _ in watched.seen)  # the temporary file was watched
    assert {(name, m) for name, m in watched.seen if m & 0o077} == set()
    assert [p.name for p in tmp_path.iterdir()] == ["hash_key"]  # no temporary file left


def test_write_private_text_replaces_or_keeps_the_first(tmp_path):
    path = tmp_path / "key"
    path.write_text("old")
    os.chmod(path, 0o644)
    assert write_private_text(path, "new") is True
    assert path.read_text() == "new" and mode(path) == 0o600
    assert write_private_text(path, "other", replace=False) is False
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]


def test_create_private_lets_other_code_create_the_file_out_of_sight(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    during = {}

    def create(path: Path) -> None:
        path.write_text("data")  # with umask 0: 0666, like any library that picks its own mode
        during["folder mode"] = mode(path.parent)
        during["target exists"] = target.exists()

    with umask(0):
        assert create_private(target, create) is True
    assert during == {"folder mode": 0o700, "target exists": False}
    assert target.read_text() == "data" and mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["warehouse.duckdb"]
    os.chmod(target, 0o644)
    assert create_private(target, create) is False  # an existing file is kept, made 0600
    assert mode(target) == 0o600


def test_make_private_and_make_shared(tmp_path):
    path = tmp_path / "f"
    path.write_text("")
    assert make_private(path) is True and mode(path) == 0o600
    assert make_shared(path) is True and mode(path) == 0o640
    assert make_private(tmp_path / "missing") is False and make_shared(tmp_path / "missing") is False


def test_private_opener_creates_0600_and_tightens_an_existing_file(tmp_path):
    with umask(0), open(tmp_path / "run.lock", "w", opener=private_opener):
        pass
    assert mode(tmp_path / "run.lock") == 0o600
    os.chmod(tmp_path / "run.lock", 0o644)
    with open(tmp_path / "run.lock", "a", opener=private_opener):
        pass
    assert mode(tmp_path / "run.lock") == 0o600


def test_share_tree_opens_dirs_and_files_to_the_group_only(tmp_path):
    root = tmp_path / "v1"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("")
    (root / "assets" / "app.js").write_text("")
    (root / "link").symlink_to("index.html")
    os.chmod(root / "index.html", 0o600)
    share_tree(root)
    assert (mode(root), mode(root / "assets")) == (0o750, 0o750)
    assert (mode(root / "index.html"), mode(root / "assets" / "app.js")) == (0o640, 0o640)


# --- where the warehouse writes ---------------------------------------------------------------


def test_hash_key_is_created_0600_with_umask_0(tmp_path, monkeypatch):
    monkeypatch.delenv("WAREHOUSE_HASH_KEY", raising=False)
    settings = new_settings(tmp_path / "home", tmp_path / "landing")
    with umask(0):
        key = settings.hash_key
    assert len(key) == 32 and mode(settings.home / "hash_key") == 0o600
    assert settings.hash_key == key  # kept, not made again


def test_working_db_is_0600_and_its_spill_folder_0700_with_umask_0(tmp_path):
    from orchestration.db import working_db

    settings = new_settings(tmp_path / "home", tmp_path / "landing")
    with umask(0), working_db(settings) as con:
        con.execute("CREATE TABLE raw.t AS SELECT 'alice@example.com' AS email")
        wal = settings.home / "warehouse.duckdb.wal"
        assert not wal.exists() or mode(wal) == 0o600
    assert mode(settings.working_db) == 0o600
    assert mode(settings.home / "warehouse.duckdb.tmp") == 0o700
    os.chmod(settings.working_db, 0o644)  # a database an older version created
    with working_db(settings):
        pass
    assert mode(settings.working_db) == 0o600


def test_published_serving_db_is_0640_whatever_the_umask(tmp_path):
    from serving.publish import publish

    work = tmp_path / "w.duckdb"
    con = duckdb.connect(str(work))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.kpi_daily AS SELECT 1 AS gmv")
    con.close()
    for value in (0, 0o077):
        with umask(value):
            publish(work, tmp_path / "serving.duckdb", f"run-{value}")
        assert mode(tmp_path / "serving.duckdb") == 0o640


def test_log_file_and_its_rollovers_are_0600(tmp_path):
    from cli.logs import _PrivateRotatingFileHandler

    with umask(0):
        handler = _PrivateRotatingFileHandler(tmp_path / "warehouse.log", maxBytes=50, backupCount=2)
        try:
            for n in range(5):
                handler.emit(logging.LogRecord("warehouse", logging.INFO, __file__, 1, "x" * 40 + str(n), None, None))
        finally:
            handler.close()
    logs = sorted(p.name for p in tmp_path.iterdir())
    assert logs == ["warehouse.log", "warehouse.log.1", "warehouse.log.2"]
    assert {mode(tmp_path / name) for name in logs} == {0o600}


def test_the_command_line_keeps_its_files_private_even_with_umask_0(tmp_path):
    """`warehouse simulate` under umask 0: the home 0750, logs 0700 and 0600, the simulated
    landing zone 0700 and its files 0600 (the command's umask 077 covers what it writes without
    a mode of its own)."""
    home = tmp_path / "home"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "WAREHOUSE_HOME": str(home)}
    args = [WAREHOUSE, "simulate", "--start", "2026-03-01", "--days", "1", "--scale", "tiny"]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, umask=0)
    assert result.returncode == 0, result.stderr
    assert mode(home) == 0o750
    assert (mode(home / "logs"), mode(home / "logs" / "warehouse.log")) == (0o700, 0o600)
    assert (mode(home / "dagster"), mode(home / "landing")) == (0o700, 0o700)
    written = [p for p in (home / "landing").rglob("*") if p.is_file()]
    assert written and {mode(p) for p in written} == {0o600}


# --- one run of a shop that quarantines personal data ----------------------------------------

LEAKED = "leak.me@example.com"


@pytest.fixture(scope="module")
def quarantining_run(tmp_path_factory):
    """The edge shop plus one customer line that fails the contract (its email is personal data),
    in the home's own landing folder, run once under the usual umask 022."""
    home = tmp_path_factory.mktemp("modes_home")
    landing = home / "landing"
    shutil.copytree(EDGE_SHOP, landing)
    customers = landing / "shop" / "customers" / "dt=2026-03-01"
    csv = next(customers.iterdir())
    with csv.open("a") as handle:
        handle.write(
            f"c9,2026-03-01T10:00:00+08:00,{LEAKED},13800000009,Leak Me,not-a-year,CN,Shanghai,Shanghai,"
            "2026-03-01T10:00:00+08:00\n"
        )
    settings = new_settings(home, landing, WAREHOUSE_MAX_QUARANTINE_SHARE="1")
    with umask(0o022), pytest.MonkeyPatch.context() as mp:
        mp.delenv("WAREHOUSE_HASH_KEY", raising=False)  # the key file is one of the files checked
        run_ok(settings, *EDGE_SHOP_DAYS)
    return settings


@pytest.mark.slow
def test_a_run_leaves_personal_data_and_the_key_to_the_owner(quarantining_run):
    settings, home = quarantining_run, quarantining_run.home
    # the quarantine copy with the clear text is the working database's ops.quarantine; the copy
    # published to serving redacts it
    working = read_table(settings.working_db, "SELECT raw_text FROM ops.quarantine WHERE entity = 'shop_customers'")
    assert any(LEAKED in text for text in working["raw_text"])
    served = read_table(settings.serving_db, "SELECT raw_text FROM ops.quarantine")
    assert served.height == working.height and not any(LEAKED in text for text in served["raw_text"])

    assert mode(home / "hash_key") == 0o600
    assert mode(settings.working_db) == 0o600
    wal = home / "warehouse.duckdb.wal"
    assert not wal.exists() or mode(wal) == 0o600
    assert mode(home / "warehouse.duckdb.tmp") == 0o700
    assert mode(home / "run.lock") == 0o600
    for private in ("logs", "dagster", "dbt", "landing"):
        assert mode(home / private) == 0o700, private
    assert mode(home) == 0o750
    assert mode(settings.serving_db) == 0o640
    site = home / ".dashboards"
    assert mode(site) == 0o750 and (home / "dashboards" / "index.html").is_file()
    for path in site.rglob("*"):
        assert mode(path) == (0o750 if path.is_dir() else 0o640), path


@pytest.mark.slow
def test_the_group_reaches_the_serving_database_and_the_dashboards_only(quarantining_run):
    """Walk the home as a member of its group would: through directories with g+x, reading files
    with g+r. What it can read is exactly the serving database and the dashboards."""
    home = quarantining_run.home
    readable: set[str] = set()

    def walk(folder: Path) -> None:
        for path in folder.iterdir():
            if path.is_symlink():
                continue
            if path.is_dir() and mode(path) & 0o010:
                walk(path)
            elif path.is_file() and mode(path) & 0o040:
                readable.add(str(path.relative_to(home)))

    walk(home)
    assert "serving.duckdb" in readable
    assert {p for p in readable if not p.startswith(".dashboards/")} == {"serving.duckdb"}
    assert not any(mode(p) & 0o007 for p in [home, home / "serving.duckdb"])  # others: nothing
