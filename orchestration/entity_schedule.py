"""The order in which one step loads and checks the landing entities, two at a time.

Loading an entity is mostly DuckDB and polars (both cores) and checking it mostly GX (Python,
one core at a time): one entity's checks run beside another's load. A daily run of the medium
shop loads and checks its twelve entities in ~3-4 s instead of ~5 s (docs/performance.md).

An entity waits for the entities its rows point into (`upstream`: the orders, before their
lines, payments and refunds) when they are loaded in the same step, and is not loaded when one of
them stopped (a rejected file, a failed blocking check), as a Dagster step downstream of a failed
one would not start. Of the entities ready, the largest window of landing files goes first, so the
clickstream does not start last."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

R = TypeVar("R")

WORKERS = 2


@dataclass(frozen=True)
class Done(Generic[R]):
    """What became of one entity: its work's result, or `skipped_because` (an upstream entity
    that stopped) when it was not started."""

    name: str
    result: R | None = None
    skipped_because: str | None = None


def run_entities(
    names: Iterable[str],
    work: Callable[[str], R],
    upstream: Callable[[str], list[str]],
    size: Callable[[str], int],
    stopped: Callable[[R], bool],
    workers: int = WORKERS,
) -> Iterator[Done[R]]:
    """Run `work(name)` for every name, at most `workers` at once, yielding each outcome as it
    ends (in the caller's thread). `stopped(result)`: the entities downstream of it are skipped.
    An exception in `work` is raised once the work already started has ended."""
    pending = sorted(names, key=size, reverse=True)
    in_step = set(pending)
    finished: set[str] = set()
    halted: dict[str, str] = {}  # name -> the stopped entity it follows from (itself when it stopped)
    running: dict[Future, str] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix="entity") as pool:
        while pending or running:
            for name in list(pending):
                cause = next((halted[u] for u in upstream(name) if u in halted), None)
                if cause is not None:
                    pending.remove(name)
                    halted[name] = cause
                    yield Done(name, skipped_because=cause)
            for name in list(pending):
                if len(running) >= workers:
                    break
                if all(u in finished or u not in in_step for u in upstream(name)):
                    pending.remove(name)
                    running[pool.submit(work, name)] = name
            if not running:
                continue  # everything left was skipped above
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                if future.exception() is not None:
                    pending.clear()  # nothing new starts; what runs ends, then the error is raised
                    for other in running:
                        other.exception()
                    raise future.exception()
                result = future.result()
                if stopped(result):
                    halted[name] = name
                else:
                    finished.add(name)
                yield Done(name, result)
