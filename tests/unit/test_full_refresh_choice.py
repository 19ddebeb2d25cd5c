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
    window = {"min_date": "2026-03-01", "max_date": "2026-03-04"}
    args = dbt_build_args(settings, window, TransformConfig())
    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"] and len(args) == 5
    # the settings and the window as vars, never the personal-data key
    assert json.loads(args[4]) == {**dbt_vars(settings), **window}
    assert settings.hash_key not in args[4]
    assert dbt_build_args(settings, window, TransformConfig(full_refresh=True))[-1] == "--full-refresh"
    assert json.loads(dbt_build_args(settings, window, TransformConfig(lookback_days=4))[4])["lookback_days"] == 4
    assert dbt_build_args(settings, window, TransformConfig(), full_refresh=True)[-1] == "--full-refresh"
    assert run_config(full_refresh=True)["ops"] == {"transform": {"config": {"full_refresh": True}}}
    assert "ops" not in run_config()
    for command in ("run", "backfill"):
        help_text = CliRunner().invoke(main, [command, "--help"]).output
        assert "--full-refresh" in help_text and "incremental" in help_text
