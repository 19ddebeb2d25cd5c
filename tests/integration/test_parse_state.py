"""dbt runs in the warehouse home with vars and a profile that hold no path of it
(transform/launch.py): the parse state made at setup fits the first invocation of every
warehouse with default settings, and a warehouse with other settings still gets a whole parse."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from config import load_settings
from transform import carry_parse_state, dbt_command

WHOLE_PARSE = "Unable to do partial parsing"


def _first_parse(settings, target: Path) -> subprocess.CompletedProcess:
    carry_parse_state(settings, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DBT_"))}
    done = subprocess.run(
        dbt_command(settings, ["parse"], target), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return done


def test_new_warehouses_with_default_settings_start_from_the_setup_parse(tmp_path):
    for name in ("shop_a", "shop_b"):
        settings = load_settings(home=tmp_path / name)
        command = dbt_command(settings, ["parse"], tmp_path / name / "dbt")
        # the home is where dbt starts, not in the vars dbt hashes into its parse state
        assert str(settings.home) not in command[command.index("--vars") + 1]
        done = _first_parse(settings, tmp_path / name / "dbt")
        assert WHOLE_PARSE not in done.stdout, done.stdout[-3000:]


def test_a_warehouse_with_other_settings_parses_the_whole_project(tmp_path):
    settings = load_settings(home=tmp_path / "home", tz="Europe/Berlin")
    done = _first_parse(settings, tmp_path / "home" / "dbt")
    assert f"{WHOLE_PARSE} because config vars" in done.stdout, done.stdout[-3000:]
