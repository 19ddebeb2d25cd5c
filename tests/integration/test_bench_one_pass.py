"""The one-pass prototype of the benchmark (bench/one_pass.py) stages the same clickstream as the
pipeline's `stg_traffic__events`: otherwise its figure in docs/performance.md, what the core
pipeline would cost with the clickstream staged while it is ingested, would measure other work.

Uses the session's tiny simulated shop (tests/conftest.py); the prototype's key is not the
shop's, so visitors are compared by how the hashes group the events, not by their values."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from bench.one_pass import run
from tests.conftest import SIM_END, SIM_START

COLUMNS = (
    "event_id, event_ts, event_ts_local, event_date, user_id, session_id, event_name, page_type, page_url, "
    "referrer, utm_source, utm_medium, utm_campaign, platform, device_type, country, product_id, search_query, "
    "order_id, value, currency, page_load_ms, experiment_id, variant, _batch_dt, _line"
)


@pytest.mark.parametrize("sink", ["parquet", "table"])
def test_one_pass_stages_what_the_pipeline_stages(simulated_shop, tmp_path, sink):
    settings = simulated_shop
    days = [SIM_START + timedelta(days=i) for i in range((SIM_END - SIM_START).days + 1)]
    db = tmp_path / "one_pass.duckdb"
    result = run(settings.landing, db, days, settings.tz, sink)
    con = duckdb.connect(str(db))
    try:
        con.execute(f"ATTACH '{settings.working_db}' AS pipe (READ_ONLY)")
        ours = "SELECT * FROM events"
        theirs = "SELECT * FROM pipe.staging.stg_traffic__events"
        only_ours = con.execute(
            f"SELECT count(*) FROM (SELECT {COLUMNS} FROM ({ours}) EXCEPT ALL SELECT {COLUMNS} FROM ({theirs}))"
        ).fetchall()[0][0]
        only_theirs = con.execute(
            f"SELECT count(*) FROM (SELECT {COLUMNS} FROM ({theirs}) EXCEPT ALL SELECT {COLUMNS} FROM ({ours}))"
        ).fetchall()[0][0]
        # the same visitors: each hash of one side maps to exactly one hash of the other
        pairs = con.execute(
            f"SELECT count(DISTINCT o.anonymous_id_hash), count(DISTINCT t.anonymous_id_hash), "
            f"count(DISTINCT (o.anonymous_id_hash, t.anonymous_id_hash)) "
            f"FROM ({ours}) o JOIN ({theirs}) t USING (event_id)"
        ).fetchall()[0]
        staged = con.execute(f"SELECT count(*) FROM ({theirs})").fetchall()[0][0]
    finally:
        con.close()
    assert staged > 1000 and result["rows_loaded"] == staged
    assert (only_ours, only_theirs) == (0, 0)
    assert pairs[0] == pairs[1] == pairs[2] > 10
