"""When a run asks dbt for --full-refresh (docs/design.md, "Incremental models and late data"):
the choice from the loaded batch days, and the flag from the command line to dbt's arguments. The
incremental runs themselves: tests/integration/test_incremental.py."""

from __future__ import annotations

import json

import duckdb
import pytest

from ingest.load import ensure_schema


@pytest.mark.parametrize(
    "in_window, loaded, expected",
    [(1, 91, False), (45, 91, False), (46, 91, True), (365, 365, True), (1, 1, True), (0, 0, False)],
)
def test_a_window_of_most_loaded_days_is_built_with_a_full_refresh(in_window, loaded, expected):
    """Rebuilding nearly every day incrementally costs twice a full build: from half of the loaded
    batch days on, the transform step asks dbt for --full-refresh (same tables)."""
    from orchestration.assets.transform import full_refresh_is_cheaper

    assert full_refresh_is_cheaper(in_window, loaded) is expected


def test_batch_days_in_window_counts_loaded_days_of_any_entity(tmp_path):
    from orchestration.assets.transform import batch_days_in_window

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    log = [
        ("traffic_events", "2026-03-01", "loaded"),
        ("shop_orders", "2026-03-01", "loaded"),
        ("shop_orders", "2026-03-02", "loaded"),
        ("traffic_events", "2026-03-03", "rejected"),
        ("traffic_events", "2026-03-04", "loaded"),
    ]
    con.executemany("INSERT INTO ops.ingest_log (entity, batch_dt, status) VALUES (?, ?, ?)", log)
    assert batch_days_in_window(con, {"min_date": "2026-03-02", "max_date": "2026-03-03"}) == (1, 3)
    assert batch_days_in_window(con, {"min_date": "2026-03-01", "max_date": "2026-03-04"}) == (3, 3)


def test_full_refresh_flag_reaches_dbt(tmp_path):
    from click.testing import CliRunner

    from cli.main import main
    from config import load_settings
    from orchestration.assets.transform import TransformConfig, dbt_build_args
    from orchestration.runner import run_config
    from transform import dbt_vars

    settings = load_settings(home=tmp_path)
    args = dbt_build_args(settings, TransformConfig())
    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"]
    # the data tests are the run's (transform/data_tests.py) unless dbt runs them (Spark)
    assert args[5:] == ["--no-write-json", "--log-level-file", "none", "--exclude-resource-type", "test"]
    assert dbt_build_args(settings, TransformConfig(), dbt_files=True, dbt_tests=True)[5:] == [
        "--log-level-file",
        "info",
    ]
    # the settings as vars, the same every run (the window goes through the working database), and
    # never the personal-data key
    assert json.loads(args[4]) == dbt_vars(settings)
    assert settings.hash_key not in args[4]
    assert dbt_build_args(settings, TransformConfig(full_refresh=True))[-1] == "--full-refresh"
    assert json.loads(dbt_build_args(settings, TransformConfig(lookback_days=4))[4])["lookback_days"] == 4
    assert dbt_build_args(settings, TransformConfig(), full_refresh=True)[-1] == "--full-refresh"
    assert run_config(full_refresh=True)["ops"] == {"transform": {"config": {"full_refresh": True}}}
    assert "ops" not in run_config()
    for command in ("run", "backfill"):
        help_text = CliRunner().invoke(main, [command, "--help"]).output
        assert "--full-refresh" in help_text and "incremental" in help_text


def test_the_window_reaches_dbt_through_the_working_database(tmp_path):
    """The run's window is one row of ops.dbt_run_window while dbt builds, and gone after it."""
    from transform import RUN_WINDOW_TABLE, clear_run_window, set_run_window

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    set_run_window(con, "2026-03-01", "2026-03-04")
    set_run_window(con, "2026-03-05", "2026-03-05")  # a killed run's row is replaced, not added to
    assert con.execute(
        f"SELECT CAST(min_date AS VARCHAR), CAST(max_date AS VARCHAR) FROM {RUN_WINDOW_TABLE}"
    ).fetchall() == [("2026-03-05", "2026-03-05")]
    clear_run_window(con)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dbt_run_window'").fetchone() == (0,)


def test_the_builds_writes_are_checkpointed_behind_while_the_tests_read(tmp_path):
    """After the build the write-ahead log is moved into the database file on a cursor of its own,
    while the caller reads the tables (the run's data tests)."""
    from transform import checkpoint_behind

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("SET checkpoint_threshold = '1GB'")  # the build's writes stay in the log, as on a daily run
    con.execute("CREATE TABLE facts (id BIGINT, h VARCHAR)")
    # less than a row group per insert: logged row by row, as a day's rebuilt rows are
    for start in (0, 100000):
        con.execute(
            f"INSERT INTO facts SELECT range, md5(CAST(range AS VARCHAR)) FROM range({start}, {start + 100000})"
        )
    wal = tmp_path / "w.duckdb.wal"
    assert wal.stat().st_size > 1_000_000
    reader = con.cursor()
    with checkpoint_behind(con):
        assert reader.execute("SELECT count(DISTINCT h) FROM facts").fetchone() == (200000,)
    assert not wal.exists() or wal.stat().st_size < 10_000
    con.close()
    with duckdb.connect(str(path), read_only=True) as again:
        assert again.execute("SELECT count(*) FROM facts").fetchone() == (200000,)


def _parsed_state(settings) -> bytes:
    from transform import parsed_project

    return (parsed_project(settings) / "partial_parse.msgpack").read_bytes()


def test_the_parse_state_is_carried_from_one_invocation_to_the_next(tmp_path):
    from config import load_settings
    from transform import carry_parse_state, keep_parse_state

    settings = load_settings(home=tmp_path / "home")
    first, second = tmp_path / "runs" / "1", tmp_path / "runs" / "2"
    carry_parse_state(settings, first)  # the warehouse's first invocation: the parsed project's state
    assert (first / "partial_parse.msgpack").read_bytes() == _parsed_state(settings)
    (first / "partial_parse.msgpack").write_bytes(b"state of 1")
    keep_parse_state(settings, first)
    carry_parse_state(settings, second)
    assert (second / "partial_parse.msgpack").read_bytes() == b"state of 1"
    assert [p.stat().st_mode & 0o777 for p in settings.dbt_dir.glob("partial_parse*")] == [0o600]


def test_a_parse_state_of_another_project_folder_is_not_carried(tmp_path, monkeypatch):
    """The state names the project's files by absolute path: after the project moved (a release in
    a new folder), dbt would look for unchanged seeds in the old folder, and fail once it is gone.
    It starts from the parsed project's state instead, and the old folder's state is dropped once
    the new one is kept."""
    from config import load_settings
    from transform import carry_parse_state, keep_parse_state, project

    settings = load_settings(home=tmp_path / "home")
    old_release = tmp_path / "runs" / "old"
    old_release.mkdir(parents=True)
    (old_release / "partial_parse.msgpack").write_bytes(b"state of the old folder")
    monkeypatch.setattr(project, "TRANSFORM_DIR", tmp_path / "releases" / "1" / "transform")
    keep_parse_state(settings, old_release)
    monkeypatch.undo()

    moved = tmp_path / "runs" / "moved"
    carry_parse_state(settings, moved)
    assert (moved / "partial_parse.msgpack").read_bytes() == _parsed_state(settings)
    (moved / "partial_parse.msgpack").write_bytes(b"state of this folder")
    keep_parse_state(settings, moved)
    assert [p.read_bytes() for p in settings.dbt_dir.glob("partial_parse*")] == [b"state of this folder"]


@pytest.mark.parametrize(
    "config, cheaper, because",
    [
        ({}, False, None),
        ({}, True, "full refresh"),
        ({"full_refresh": True}, False, "full refresh"),
        # sessions rebuilt over another lookback than the one the compiled tests name
        ({"lookback_days": 5}, False, "lookback_days 5"),
    ],
)
def test_what_makes_a_runs_data_tests_read_every_row(config, cheaper, because):
    from orchestration.assets.transform import TransformConfig, full_test_pass_because

    assert full_test_pass_because(TransformConfig(**config), cheaper) == because
