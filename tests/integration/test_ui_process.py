"""`warehouse ui` stops everything it started: on SIGTERM or SIGINT no webserver, daemon or code
server is left running and the port is free again (Linux: the process tree is read from /proc)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

WAREHOUSE = str(Path(sys.executable).parent / "warehouse")
START_TIMEOUT = 120  # seconds: loading the definitions may parse the dbt project first
STOP_TIMEOUT = 30  # seconds: the command's own stop timeout (10 s) plus a margin

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat from the state on (field 3), or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()  # the command name may hold spaces and parentheses


def _start_time(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[19] if fields else None  # field 22, in clock ticks since boot: tells a reused PID apart


def _descendants(root: int) -> dict[int, str]:
    """PID -> start time of every process below `root`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if (started := _start_time(pid)) is not None:
            found[pid] = started
        todo += children.get(pid, [])
    return found


def _alive(pid: int, started: str) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X") and fields[19] == started


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_ui_stops_every_process_it_started(stop_signal, tmp_path):
    home, landing = tmp_path / "home", tmp_path / "landing"
    landing.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DAGSTER_"))}
    env.update(WAREHOUSE_HOME=str(home), WAREHOUSE_LANDING=str(landing))
    port = _free_port()
    output = tmp_path / "ui.log"
    with open(output, "w") as out:
        ui = subprocess.Popen(
            [WAREHOUSE, "ui", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path
        )
    seen: dict[int, str] = {}
    try:
        started = time.monotonic()
        while not _answers(port):
            assert ui.poll() is None, f"`warehouse ui` exited with {ui.returncode}:\n{output.read_text()}"
            assert time.monotonic() - started < START_TIMEOUT, f"no UI after {START_TIMEOUT} s:\n{output.read_text()}"
            time.sleep(0.5)
        # webserver and daemon, and a code server under each: give the code servers time to appear
        settle = time.monotonic()
        while len(seen := seen | _descendants(ui.pid)) < 4 and time.monotonic() - settle < 60:
            time.sleep(0.5)
        seen |= _descendants(ui.pid)
        assert len(seen) >= 3, f"expected the webserver, the daemon and their code servers, found {seen}"

        ui.send_signal(stop_signal)
        code = ui.wait(timeout=STOP_TIMEOUT)

        log = output.read_text()
        assert code == 0, log
        assert f"http://127.0.0.1:{port}" in log
        assert "stopped the Dagster UI" in log.splitlines()[-1], log
        left = [pid for pid, started_at in seen.items() if _alive(pid, started_at)]
        assert not left, f"still running after `warehouse ui` exited: {left}"
        assert not _listening(port), f"something still listens on port {port}"
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()
        for pid, started_at in seen.items():
            if _alive(pid, started_at):
                os.kill(pid, signal.SIGKILL)
