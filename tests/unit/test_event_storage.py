"""The instance's event log (orchestration/event_storage.py): Dagster's SQLite files, written with
engines kept per database; these fail when a Dagster upgrade moves what it replaces."""

from __future__ import annotations

import shutil

from dagster import DagsterInstance, asset, materialize
from dagster._core.storage.event_log import SqliteEventLogStorage

from config import load_settings
from orchestration.event_storage import KEEP_ENGINES, WarehouseEventLogStorage
from orchestration.instance import dagster_instance


@asset
def counted() -> int:
    return 1


def test_it_replaces_what_dagster_still_has():
    for name in ("_connect", "from_config_value", "has_table", "dispose"):
        assert name in vars(SqliteEventLogStorage), f"Dagster no longer has {name}: the override is dead code"


def test_a_run_writes_dagsters_files_that_dagsters_own_storage_reads(tmp_path):
    settings = load_settings(home=tmp_path / "home")
    with dagster_instance(settings) as instance:
        assert isinstance(instance.event_log_storage, WarehouseEventLogStorage)
        run_id = materialize([counted], instance=instance).run_id
        engines = instance.event_log_storage._engines
        assert 0 < len(engines) <= KEEP_ENGINES
        assert all(engine.pool.checkedin() == 1 for engine in engines.values())  # connections kept open
        assert instance.event_log_storage.has_table("asset_check_executions")
        assert not instance.event_log_storage.has_table("no_such_table")
        # the same folder read by Dagster's default class (another process, a home made before)
        # while this instance still holds its connections
        plain = SqliteEventLogStorage(str(settings.dagster_home / "history" / "runs"))
        try:
            logged = [e.dagster_event.event_type_value for e in plain.get_logs_for_run(run_id) if e.dagster_event]
            assert "ASSET_MATERIALIZATION" in logged and logged[-1] == "PIPELINE_SUCCESS"
            assert plain.get_latest_materialization_events([counted.key])[counted.key] is not None
        finally:
            plain.dispose()
    assert engines == {}


def test_engines_are_kept_for_the_last_databases_only(tmp_path):
    storage = WarehouseEventLogStorage(str(tmp_path))
    try:
        for n in range(KEEP_ENGINES + 3):
            with storage.run_connection(f"run-{n}") as conn:
                conn.exec_driver_sql("SELECT 1")
        assert list(storage._engines)[-1] == f"run-{KEEP_ENGINES + 2}"
        assert len(storage._engines) == KEEP_ENGINES
    finally:
        storage.dispose()
    assert storage._engines == {}


def test_a_moved_home_gets_its_own_paths(tmp_path):
    dagster_instance(load_settings(home=tmp_path / "a")).dispose()
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # its dagster.yaml names a's folders
    settings = load_settings(home=tmp_path / "b")
    with dagster_instance(settings) as instance:
        assert instance.event_log_storage._base_dir == str(settings.dagster_home / "history" / "runs")
    # and the UI, which reads the file itself, gets the same storage
    with DagsterInstance.from_config(str(settings.dagster_home)) as again:
        assert again.event_log_storage._base_dir == str(settings.dagster_home / "history" / "runs")
