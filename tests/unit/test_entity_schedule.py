"""The raw step's schedule (orchestration/entity_schedule.py): two entities at a time, the largest
ready first, an entity after the ones its rows point into, and none after one that stopped."""

from __future__ import annotations

import threading
import time

import pytest

from orchestration.entity_schedule import run_entities

UPSTREAM = {"items": ["orders"], "payments": ["orders"]}
SIZES = {"traffic": 900, "orders": 500, "items": 400, "payments": 300, "spend": 10, "rates": 5}


class Recorder:
    """Work that takes `seconds[name]` and records when each name ran and how many ran at once."""

    def __init__(self, seconds: dict[str, float], stops: set[str] = frozenset(), fails: set[str] = frozenset()):
        self.seconds, self.stops, self.fails = seconds, stops, fails
        self.spans: dict[str, tuple[float, float]] = {}
        self.running = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, name: str) -> str:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        start = time.perf_counter()
        time.sleep(self.seconds.get(name, 0.01))
        with self.lock:
            self.running -= 1
            self.spans[name] = (start, time.perf_counter())
        if name in self.fails:
            raise RuntimeError(f"{name} broke")
        return "stopped" if name in self.stops else "ok"


def _run(names, work: Recorder):
    return list(
        run_entities(
            names,
            work,
            upstream=lambda n: UPSTREAM.get(n, []),
            size=SIZES.__getitem__,
            stopped=lambda result: result == "stopped",
        )
    )


def test_two_at_a_time_the_largest_ready_first_and_children_after_their_parent():
    work = Recorder({"traffic": 0.3, "orders": 0.1})
    done = _run(list(SIZES), work)
    assert sorted(d.name for d in done) == sorted(SIZES)
    assert all(d.result == "ok" and d.skipped_because is None for d in done)
    assert work.most == 2
    starts = sorted(work.spans, key=lambda n: work.spans[n][0])
    assert set(starts[:2]) == {"traffic", "orders"}
    for child in ("items", "payments"):
        assert work.spans[child][0] >= work.spans["orders"][1]


def test_an_entity_after_one_that_stopped_is_skipped_and_the_others_still_run():
    work = Recorder({}, stops={"orders"})
    done = {d.name: d for d in _run(list(SIZES), work)}
    assert done["orders"].result == "stopped"
    assert done["items"].skipped_because == "orders" and done["payments"].skipped_because == "orders"
    assert "items" not in work.spans and "payments" not in work.spans
    assert {"traffic", "spend", "rates"} <= set(work.spans)


def test_an_upstream_entity_outside_the_step_is_not_waited_for():
    work = Recorder({})
    done = _run(["items"], work)
    assert [(d.name, d.result) for d in done] == [("items", "ok")]


def test_an_error_is_raised_once_the_running_work_ended_and_nothing_new_starts():
    work = Recorder({"traffic": 0.3, "orders": 0.05}, fails={"orders"})
    with pytest.raises(RuntimeError, match="orders broke"):
        _run(list(SIZES), work)
    assert set(work.spans) == {"traffic", "orders"}  # traffic ran to its end; nothing started after
    assert work.running == 0
