"""The landing sensor: its pure decision (`plan_runs`) on hand-made fingerprints, then the real
sensor evaluated with Dagster's `build_sensor_context` over a real landing folder."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date

import pytest
from dagster import DagsterInstance, RunRequest, SensorResult, build_sensor_context

from orchestration.sensors import (
    DayFiles,
    consecutive_ranges,
    landed_days,
    plan_runs,
    processed_from_ingest_log,
)
from tests.support.warehouse import EDGE_SHOP, use_warehouse

NOW = 1_000_000.0


def d(day: int) -> date:
    return date(2026, 3, day)


def files(digest: str, age: float = 3600) -> DayFiles:
    return DayFiles(digest, NOW - age)


# -- the decision ---------------------------------------------------------------------------------


def test_new_days_are_one_run_per_consecutive_range_first_range_first():
    landed = {d(1): files("a"), d(2): files("b"), d(3): files("c"), d(7): files("g")}
    plan = plan_runs(landed, {}, NOW)
    assert plan.ranges == [(d(1), d(3))]
    assert plan.later == [(d(7), d(7))]
    # only the requested days are marked: day 7 is due again on the next tick
    assert plan.processed == {"2026-03-01": "a", "2026-03-02": "b", "2026-03-03": "c"}
    assert plan_runs(landed, plan.processed, NOW).ranges == [(d(7), d(7))]
    assert plan_runs(landed, {}, NOW, max_runs=5).ranges == [(d(1), d(3)), (d(7), d(7))]


def test_processed_days_are_left_alone_and_changed_or_late_old_days_are_run():
    processed = {"2026-03-01": "a", "2026-03-02": "b", "2026-03-03": "c"}
    assert plan_runs({d(1): files("a"), d(2): files("b"), d(3): files("c")}, processed, NOW).ranges == []
    # a changed file of an old day, a late folder for a day never seen, and today's new folder
    landed = {d(1): files("a"), d(2): files("B"), d(3): files("c"), d(4): files("late"), d(9): files("new")}
    plan = plan_runs(landed, processed, NOW, max_runs=3)
    assert plan.ranges == [(d(2), d(2)), (d(4), d(4)), (d(9), d(9))]
    assert plan.processed["2026-03-02"] == "B"


def test_days_still_being_written_wait_until_they_settle():
    landed = {d(1): files("a", age=10), d(2): files("b", age=500)}
    plan = plan_runs(landed, {}, NOW, settle_seconds=120)
    assert plan.ranges == [(d(2), d(2))] and plan.waiting == [d(1)]
    assert "2026-03-01" not in plan.processed
    assert plan_runs(landed, plan.processed, NOW + 200, settle_seconds=120).ranges == [(d(1), d(1))]


def test_a_vanished_folder_is_not_a_change():
    plan = plan_runs({d(2): files("b")}, {"2026-03-01": "a", "2026-03-02": "b"}, NOW)
    assert plan.ranges == [] and plan.processed["2026-03-01"] == "a"


def test_consecutive_ranges_sorts_and_merges():
    assert consecutive_ranges([d(5), d(1), d(2), d(2), d(4)]) == [(d(1), d(2)), (d(4), d(5))]
    assert consecutive_ranges([]) == []
    assert consecutive_ranges([date(2025, 12, 31), date(2026, 1, 1)]) == [(date(2025, 12, 31), date(2026, 1, 1))]


def test_first_cursor_trusts_ingests_newer_than_the_files():
    landed = {d(1): files("a", age=100), d(2): files("b", age=100), d(3): files("c", age=100)}
    ingested = {d(1): NOW - 50, d(2): NOW - 500}  # day 2 changed after its ingest, day 3 never ingested
    assert processed_from_ingest_log(landed, ingested) == {"2026-03-01": "a"}


# -- the real sensor over a real landing folder ---------------------------------------------------


@pytest.fixture
def landing(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    shutil.copytree(EDGE_SHOP, root)
    _age(root, 3600)
    use_warehouse(monkeypatch, tmp_path / "home", root)
    return root


def _age(root, seconds: float) -> None:
    then = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (then, then))


def _tick(cursor=None):
    from config import load_settings
    from orchestration.job import build_definitions
    from orchestration.resources import WarehouseResource

    settings = load_settings()
    [landing_sensor] = build_definitions(settings).sensors
    # the settings reach the sensor as the `warehouse` resource, as in the UI's daemon
    resources = {"warehouse": WarehouseResource.of(settings)}
    with DagsterInstance.ephemeral() as instance:
        result = landing_sensor(build_sensor_context(instance=instance, cursor=cursor, resources=resources))
    assert isinstance(result, SensorResult)
    return result


def _window(request: RunRequest) -> tuple[str, str]:
    key_range = request.partition_key_range  # Dagster's own reading of its range tags
    assert key_range is not None, request.tags
    return key_range.start, key_range.end


def test_real_sensor_requests_runs_for_new_late_and_changed_days(landing):
    fingerprints = landed_days(landing)
    assert sorted(fingerprints) == [d(1), d(2), d(3), d(4)]

    # a fresh warehouse (no ingest yet): the whole landed history is one run
    first = _tick()
    assert [_window(r) for r in first.run_requests] == [("2026-03-01", "2026-03-04")]
    assert first.run_requests[0].job_name in (None, "warehouse_job")
    cursor = first.cursor
    assert set(json.loads(cursor)) == {"2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"}

    # nothing new: no run
    quiet = _tick(cursor)
    assert quiet.run_requests == [] and quiet.cursor == cursor

    # a late folder for an old day and a changed file of another old day, both settled
    late = landing / "traffic" / "events" / "dt=2026-02-27"
    late.mkdir()
    (late / "events.jsonl").write_text("")
    changed = landing / "shop" / "orders" / "dt=2026-03-02" / "orders.csv"
    changed.write_text(changed.read_text())
    _age(late, 600)  # only these: a file's modification time is part of its fingerprint
    _age(changed, 600)
    late_tick = _tick(cursor)
    assert [_window(r) for r in late_tick.run_requests] == [("2026-02-27", "2026-02-27")]
    again = _tick(late_tick.cursor)
    assert [_window(r) for r in again.run_requests] == [("2026-03-02", "2026-03-02")]
    assert _tick(again.cursor).run_requests == []

    # a folder still being written waits
    fresh = landing / "shop" / "orders" / "dt=2026-03-05"
    fresh.mkdir()
    (fresh / "orders.csv").write_text("order_id\n")
    waiting = _tick(again.cursor)
    assert waiting.run_requests == [] and "settling" in (waiting.skip_reason.skip_message or "")
