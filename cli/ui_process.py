"""The processes behind `warehouse ui`: Dagster's webserver and daemon, started and stopped together.

`dagster dev` is superseded in Dagster 1.13 (it warns on every start and points to a CLI this
project does not install), so `warehouse ui` starts the two pieces `dagster dev` would start itself:
`dagster-webserver` (the UI) and `dagster-daemon run` (sensors, schedules, the run queue), both on
the same code location and, through DAGSTER_HOME, on the warehouse's instance.

Each child gets a session, and so a process group, of its own: a terminal's Ctrl-C reaches only
`warehouse ui`, which then signals each child's whole group. The code servers and runs a child
starts stay in its group, so none of them outlives the UI holding the port or the instance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFINITIONS_MODULE = "orchestration.definitions"
STOP_TIMEOUT = 10.0  # seconds from the termination signal to SIGKILL
_POLL_INTERVAL = 0.2
_KILL_GRACE = 5.0  # seconds to wait for SIGKILLed processes to be gone


@dataclass(frozen=True)
class UiExit:
    """How the UI ended: a requested stop (code 0), or a child that exited on its own."""

    code: int
    failed_child: str | None = None  # name of the child whose exit ended the UI


def ui_commands(port: int, host: str = "127.0.0.1", module: str = DEFINITIONS_MODULE) -> list[tuple[str, list[str]]]:
    # The console scripts live beside this interpreter (the virtual environment), which need not be on PATH.
    bin_dir = Path(sys.executable).parent
    return [
        ("webserver", [str(bin_dir / "dagster-webserver"), "-m", module, "-h", host, "-p", str(port)]),
        ("daemon", [str(bin_dir / "dagster-daemon"), "run", "-m", module]),
    ]


def run_dagster_ui(port: int, dagster_home: Path, host: str = "127.0.0.1") -> UiExit:
    # the children find the warehouse's instance through DAGSTER_HOME in their own environment
    return run_until_stopped(ui_commands(port, host), env={**os.environ, "DAGSTER_HOME": str(dagster_home)})


def run_until_stopped(
    commands: Sequence[tuple[str, Sequence[str]]], stop_timeout: float = STOP_TIMEOUT, env: dict[str, str] | None = None
) -> UiExit:
    """Run every command as a child until SIGINT or SIGTERM arrives or a child exits, then stop them all.

    Stopping sends SIGTERM to each child's process group, waits up to `stop_timeout` seconds for
    the groups to empty and SIGKILLs whatever is left. A second signal skips the wait."""
    children: list[tuple[str, subprocess.Popen]] = []
    terminated: set[int] = set()  # process groups already sent SIGTERM
    signals = 0

    def forward(signum, _frame) -> None:
        nonlocal signals
        signals += 1
        for _, proc in children:
            if signals > 1:
                _signal_group(proc.pid, signal.SIGKILL)
            elif proc.pid not in terminated:
                terminated.add(proc.pid)
                _signal_group(proc.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    result: UiExit | None = None
    try:
        for name, cmd in commands:
            if signals:
                break
            children.append((name, subprocess.Popen(list(cmd), start_new_session=True, env=env)))
        while result is None:
            if signals:
                result = UiExit(0)
                break
            for name, proc in children:
                if proc.poll() is not None:
                    result = UiExit(proc.returncode, name)
                    break
            else:
                time.sleep(_POLL_INTERVAL)
    finally:
        _stop(children, terminated, stop_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return result


def _stop(children: list[tuple[str, subprocess.Popen]], terminated: set[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for _, proc in children:
        if proc.pid not in terminated:
            terminated.add(proc.pid)
            _signal_group(proc.pid, signal.SIGTERM)
    for _, proc in children:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    # A group can outlive its leader for a moment (a code server still shutting down).
    while time.monotonic() < deadline and any(_group_alive(proc.pid) for _, proc in children):
        time.sleep(0.1)
    for _, proc in children:
        if _group_alive(proc.pid):
            _signal_group(proc.pid, signal.SIGKILL)
    for _, proc in children:
        proc.wait()
    # SIGKILL is delivered at once but a process takes a moment to die: return once it has.
    deadline = time.monotonic() + _KILL_GRACE
    while time.monotonic() < deadline and any(_group_alive(proc.pid) for _, proc in children):
        time.sleep(0.05)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (zombies, which wait only to be reaped, do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False
