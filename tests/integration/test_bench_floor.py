"""The benchmark's floor (bench/floor.sql, one hand-written DuckDB script over the landing files)
computes the same kpi_daily, channel_daily and funnel_daily as the pipeline: otherwise the
pipeline-over-floor ratio of docs/performance.md compares different work.

Uses the session's tiny simulated shop (the `simulated_shop` fixture of tests/conftest.py), so the
only extra cost here is the floor script itself."""

from __future__ import annotations

import duckdb
import pytest

from bench.stages import CORE_MARTS, compare_marts, run_floor


@pytest.fixture(scope="module")
def floor_db(simulated_shop, tmp_path_factory):
    settings = simulated_shop
    db = tmp_path_factory.mktemp("floor") / "floor.duckdb"
    result = run_floor(
        settings.landing, db, tz=settings.tz, base_currency=settings.base_currency, home_country=settings.home_country
    )
    return settings, db, result


def test_floor_equals_the_published_marts(floor_db):
    settings, db, result = floor_db
    assert compare_marts(db, settings.serving_db) == {mart: [] for mart in CORE_MARTS}
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = {m: con.execute(f"SELECT count(*) FROM {m}").fetchone()[0] for m in CORE_MARTS}
        # every day of the shop, several channels and platform x device slices: not a vacuous match
        days = con.execute(
            "SELECT count(DISTINCT date), count(gmv), count(sessions), count(csat) FROM kpi_daily"
        ).fetchone()
    finally:
        con.close()
    assert result["rows"] == sum(counts.values())
    assert days[0] >= 21 and days[1] >= 20 and days[2] >= 20 and days[3] >= 1  # tiny shop: few ratings
    assert counts["channel_daily"] > 3 * days[0] and counts["funnel_daily"] > 3 * days[0]


def test_comparison_names_a_changed_value(floor_db, tmp_path):
    """The comparison itself can fail: one changed gmv, one dropped funnel row."""
    settings, db, _ = floor_db
    copy = tmp_path / "changed.duckdb"
    copy.write_bytes(db.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("UPDATE kpi_daily SET gmv = gmv + 0.0001 WHERE date = (SELECT max(date) FROM kpi_daily)")
    con.execute("DELETE FROM funnel_daily WHERE date = (SELECT min(date) FROM funnel_daily)")
    con.close()
    diffs = compare_marts(copy, settings.serving_db)
    assert diffs["kpi_daily"] == ["gmv: 1 rows differ"]
    assert diffs["channel_daily"] == []
    assert any("rows in the floor" in d for d in diffs["funnel_daily"])
