"""Runs that survive faults (issue 4): a run killed with SIGKILL at any point and started again
publishes what an uninterrupted run publishes; runs started at once are serialised. (Readers
during publishes: test_serving_readers.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from serving.checksum import marts_checksum
from tests.support.warehouse import EDGE_SHOP, EDGE_SHOP_DAYS, new_settings, run_ok

WAREHOUSE = str(Path(sys.executable).with_name("warehouse"))
START, END = (d.isoformat() for d in EDGE_SHOP_DAYS)


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DAGSTER_"))}
    env.update(WAREHOUSE_HOME=str(settings.home), WAREHOUSE_LANDING=str(settings.landing))
    return env


def _start_run(settings, verbose: bool = False) -> subprocess.Popen:
    # --verbose where the test waits for Dagster's and dbt's own lines; not for runs read with
    # communicate() one after the other: a verbose run holding the lock would fill its pipe
    return subprocess.Popen(
        [WAREHOUSE, "run", *(["--verbose"] if verbose else []), "--start", START, "--end", END],
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _served_checksum(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return marts_checksum(con)
    finally:
        con.close()


class _Output:
    """Collects a process's output on a thread, so the test can wait for a line to appear."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.lines = proc, []
        self._thread = threading.Thread(target=lambda: self.lines.extend(proc.stdout), daemon=True)
        self._thread.start()

    def wait_for(self, marker: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(marker in line for line in list(self.lines)):
                return
            if self.proc.poll() is not None:
                self._thread.join(5)
                pytest.fail(f"run ended (exit {self.proc.returncode}) before '{marker}': {''.join(self.lines)[-2000:]}")
            time.sleep(0.05)
        pytest.fail(f"'{marker}' never appeared")


@pytest.mark.parametrize(
    "moment, marker, delay",
    [
        ("during ingest", "shop_customers: ", 0.0),
        ("during the dbt build", "Running dbt command", 4.0),
    ],
)
def test_a_killed_run_started_again_publishes_what_a_clean_run_does(tmp_path, edge_shop_run, moment, marker, delay):
    clean_settings = edge_shop_run[0]
    clean = _served_checksum(clean_settings.serving_db)
    settings = new_settings(tmp_path / "home", EDGE_SHOP)
    # same personal-data hash key as the clean run, so hashed customer keys compare equal
    settings.home.mkdir(parents=True)
    (settings.home / "hash_key").write_text((clean_settings.home / "hash_key").read_text())
    proc = _start_run(settings, verbose=True)
    _Output(proc).wait_for(marker)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its dbt child, as a power cut would
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run finished before it could be killed {moment}"
    assert not settings.serving_db.exists(), "a killed first run must not leave a serving database"

    if moment == "during the dbt build":
        # two runs at once on the same home: serialised by the run lock, both succeed
        first, second = _start_run(settings), _start_run(settings)
        outputs = [p.communicate(timeout=600)[0] for p in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outputs
        # the one that found the lock taken said so, once
        assert sum(output.count("waiting for another run of this warehouse") for output in outputs) == 1, outputs
    else:
        run_ok(settings, *EDGE_SHOP_DAYS)
    assert _served_checksum(settings.serving_db) == clean
    assert not list(settings.serving_db.parent.glob(".serving.duckdb.*.tmp"))
