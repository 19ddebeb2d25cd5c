"""The `warehouse` console script: every command says what it does; errors are one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WAREHOUSE = str(Path(sys.executable).parent / "warehouse")
COMMANDS = ("simulate", "run", "backfill", "status", "query", "ui", "dashboards", "demo")


def _warehouse(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "WAREHOUSE_HOME": str(home), "HOME": str(home)}
    return subprocess.run([WAREHOUSE, *args], capture_output=True, text=True, env=env, timeout=120)


def test_top_level_help_lists_every_command(tmp_path):
    result = _warehouse("--help", home=tmp_path)
    assert result.returncode == 0
    assert "Operations warehouse for online shops" in result.stdout
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_says_what_it_does(command, tmp_path):
    result = _warehouse(command, "--help", home=tmp_path)
    assert result.returncode == 0
    summary = result.stdout.split("\n\n")[1].strip()  # click prints usage, a blank line, then the docstring
    assert len(summary) > 20, result.stdout


def test_query_before_any_publish_is_one_readable_line(tmp_path):
    result = _warehouse("query", "SELECT 1", home=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no serving database"), result.stderr
    assert "Traceback" in (tmp_path / "logs" / "warehouse.log").read_text()


def test_usage_errors_are_one_line(tmp_path):
    result = _warehouse("run", "--date", "2026-03-01", "--start", "2026-03-01", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "Error: give either --date or --start/--end"


def test_backfill_with_end_before_start_is_one_line(tmp_path):
    result = _warehouse("backfill", "--start", "2026-03-05", "--end", "2026-03-01", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "Error: --end 2026-03-01 is before --start 2026-03-05"
