"""The console of a run as a person sees it, and `status` as a scheduler reads it: a tiny shop run
through the real `warehouse` command with its output piped (not a terminal)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest import ENTITIES

WAREHOUSE = str(Path(sys.executable).parent / "warehouse")
DAYS = 7
# ten days ago: the shop's sources are stale (default: older than 2 days) until told otherwise
END = date.today() - timedelta(days=10)
START = END - timedelta(days=DAYS - 1)


def _env(home: Path, **extra: str) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "WAREHOUSE_HOME": str(home), "WAREHOUSE_TZ": "UTC", **extra}


def _warehouse(*args: str, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([WAREHOUSE, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("console_home")
    env = _env(home)
    simulated = _warehouse("simulate", "--start", START.isoformat(), "--days", str(DAYS), "--scale", "tiny", env=env)
    assert simulated.returncode == 0, simulated.stderr
    run = _warehouse("run", "--start", START.isoformat(), "--end", END.isoformat(), env=env)
    return home, env, run


def test_a_run_prints_a_short_plain_summary(tiny_run):
    _, _, run = tiny_run
    assert run.returncode == 0, run.stderr
    output = run.stdout + run.stderr
    assert len(output.splitlines()) <= 40, output
    assert "\x1b" not in output and "\r" not in output
    assert "Running with dbt" not in output and "PASS" not in output  # dbt's lines went to the log
    assert "succeeded" in run.stdout and "shop_orders" in run.stdout and "quality checks:" in run.stdout
    for stage in ("ingest + gate", "dbt build", "publish", "dashboards"):
        assert f"  {stage}" in run.stderr
    # the raw step's progress counts entities, not an entity's materialization of each batch day
    loaded = re.search(r"ingest \+ gate\s+done in [\d.]+ s \((\d+)/(\d+)\)", run.stderr)
    assert loaded and loaded.groups() == (str(len(ENTITIES)), str(len(ENTITIES))), run.stderr


def test_the_log_holds_dbt_and_dagster_detail_but_no_third_party_chatter(tiny_run):
    home, _, _ = tiny_run
    log = (home / "logs" / "warehouse.log").read_text()
    assert "warehouse.dbt: Done. PASS=" in log and "warehouse.dagster:" in log
    assert "\x1b" not in log
    from cli.logs import PROJECT_LOGGERS

    loggers = {line.split(" INFO ")[1].split(":")[0] for line in log.splitlines() if " INFO " in line}
    chatty = {name for name in loggers if name.split(".")[0] not in PROJECT_LOGGERS}
    assert chatty == set()  # other libraries' INFO lines stay out


def test_verbose_brings_dbts_lines_back(tiny_run):
    _, env, _ = tiny_run
    run = _warehouse("run", "--date", END.isoformat(), "--verbose", env=env)
    assert run.returncode == 0, run.stderr
    assert "Done. PASS=" in run.stdout and "Running with dbt" in run.stdout


def test_status_json_and_its_exit_codes(tiny_run):
    _, env, _ = tiny_run
    stale = _warehouse("status", "--json", env=env, timeout=120)
    assert stale.returncode == 3, stale.stderr  # the shop's last batch day is ten days old
    status = json.loads(stale.stdout)
    assert {s["entity"] for s in status["sources"]} >= {"shop_orders", "traffic_events"}
    assert all(s["latest_batch_day"] == END.isoformat() and s["stale"] for s in status["sources"])
    assert status["last_run"]["status"] == "SUCCESS" and status["last_run"]["failed_checks"] == []
    assert isinstance(status["last_run"]["warned_checks"], list)
    fresh = _warehouse("status", "--json", env={**env, "WAREHOUSE_STALE_AFTER_DAYS": "30"}, timeout=120)
    assert fresh.returncode == 0 and not any(s["stale"] for s in json.loads(fresh.stdout)["sources"])


def test_status_exits_1_after_a_failed_run(tiny_run, tmp_path):
    home, env, _ = tiny_run
    # a second warehouse over the same landing, whose one run fails at its gate: no share may be quarantined
    landing = home / "landing"
    orders = next((landing / "shop" / "orders" / f"dt={END.isoformat()}").glob("*.csv"))
    lines = orders.read_text().splitlines()
    broken = tmp_path / "landing"
    subprocess.run(["cp", "-r", str(landing), str(broken)], check=True)
    target = broken / orders.relative_to(landing)
    target.write_text("\n".join([lines[0], lines[1].replace("+", "", 1), *lines[2:]]) + "\n")  # no offset: quarantined
    other = _env(tmp_path / "home", WAREHOUSE_LANDING=str(broken), WAREHOUSE_MAX_QUARANTINE_SHARE="0")
    run = _warehouse("run", "--date", END.isoformat(), env=other)
    assert run.returncode == 1 and "FAILED" in run.stdout
    status = _warehouse("status", "--json", env=other, timeout=120)
    assert status.returncode == 1
    last = json.loads(status.stdout)["last_run"]
    assert last["status"] == "FAILURE"
    assert any(c["check_name"] == "quarantine_share" for c in last["failed_checks"])


def test_a_query_piped_into_head_is_not_an_error(tiny_run):
    home, env, _ = tiny_run
    done = subprocess.run(
        f"'{WAREHOUSE}' query 'SELECT * FROM range(200000)' --csv | head -2",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.stdout.splitlines() == ["range", "0"] and done.stderr == ""
    assert "BrokenPipe" not in (home / "logs" / "warehouse.log").read_text()


def test_watch_once_trusts_the_ingest_log_and_runs_nothing_already_run(tiny_run):
    home, env, _ = tiny_run
    watched = _warehouse("watch", "--once", "--settle", "0", env=env)
    assert watched.returncode == 0, watched.stderr
    assert "no new or changed batch days" in watched.stderr and watched.stdout == ""
    assert (home / "watch.json").exists()
