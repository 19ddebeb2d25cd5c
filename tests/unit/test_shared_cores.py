"""A small incremental run shares the cores out between dbt's models (transform/project.py,
share_cores; docs/decisions.md, "A small run shares the cores")."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from transform import DBT_THREADS, TRANSFORM_DIR, all_cores, share_cores, shares_cores


@pytest.mark.parametrize(
    "min_date, max_date, full_refresh, expected",
    [
        ("2026-10-31", "2026-10-31", False, True),
        ("2026-10-25", "2026-10-31", False, True),  # 7 days
        ("2026-10-24", "2026-10-31", False, False),  # 8 days
        ("2026-12-29", "2027-01-02", False, True),  # across a year's end
        ("2026-10-31", "2026-10-31", True, False),
    ],
)
def test_only_an_incremental_window_of_a_week_at_most_shares_the_cores(min_date, max_date, full_refresh, expected):
    assert shares_cores(min_date, max_date, full_refresh) is expected


def test_the_share_is_the_cores_over_the_models_dbt_builds_at_once():
    profiles = yaml.safe_load((TRANSFORM_DIR / "profiles.yml").read_text())
    assert profiles["shop_warehouse"]["outputs"]["warehouse"]["threads"] == DBT_THREADS


def test_sharing_the_cores_holds_for_every_session_of_the_database_until_all_cores(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    other = con.cursor()  # another session of the same database, as dbt's
    cores = int(con.execute("SELECT current_setting('threads')").fetchone()[0])

    share_cores(con)
    share = max(1, cores // DBT_THREADS)
    assert int(other.execute("SELECT current_setting('threads')").fetchone()[0]) == share
    share_cores(con)  # twice: still a share of every core, not of the share
    assert int(con.execute("SELECT current_setting('threads')").fetchone()[0]) == share

    all_cores(con)
    assert int(other.execute("SELECT current_setting('threads')").fetchone()[0]) == cores
