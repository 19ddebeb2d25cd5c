"""Run one benchmark stage as a subprocess and measure it: wall time and peak memory.

CPU time (user + system, from `os.wait4`) is reported beside wall time: on a shared machine wall
time depends on what else runs, CPU time much less.

Peak memory is taken two ways, because a stage may be several processes (dbt, DuckDB threads are
one process, but `warehouse run` may start dbt as a child):
- `max_rss_mib`: `os.wait4`'s `ru_maxrss` of the stage process, i.e. the largest resident set of
  the process or of any descendant it waited for (per process, not summed);
- `peak_tree_rss_mib`: the largest *sum* of the resident sets of the process and all its
  descendants, polled from /proc every 50 ms (can miss a spike shorter than that).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    argv: list[str]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system CPU of the process and its waited-for descendants
    max_rss_mib: float
    peak_tree_rss_mib: float
    stdout: str
    stderr_tail: str
    killed_over_mib: float | None = None  # set when the memory cap stopped the stage


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree_rss(root: int) -> int:
    kids, todo, total = _children_map(), [root], 0
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except OSError:
            pass
        todo.extend(kids.get(pid, []))
    return total


def run_measured(
    argv: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    cap_mib: float | None = None,
) -> Measured:
    """Run `argv` to completion; its stderr goes to `log` (and its last lines into the result).

    `cap_mib`: the stage's process group is killed when its tree's resident memory passes this, so
    a stage that would swallow a shared machine's memory fails instead (reported in the result)."""
    peak = [0]
    killed = [None]
    done = threading.Event()
    err = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True
    )

    def poll() -> None:
        while not done.is_set():
            rss = _tree_rss(proc.pid)
            peak[0] = max(peak[0], rss)
            if cap_mib and rss > cap_mib * 2**20 and killed[0] is None:
                killed[0] = rss / 2**20
                os.killpg(proc.pid, signal.SIGKILL)
            done.wait(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if log:
        err.close()
        with open(log, "a") as handle:  # dbt and warehouse report on stdout
            handle.write(stdout)
    tail = ""
    if log and log.exists():
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-5:])
    return Measured(
        argv,
        proc.returncode,
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        peak[0] / 2**20,
        stdout,
        tail,
        killed[0],
    )
