"""dbt's native unit tests (`unit_tests:` in the models' YAML), run here because a run's `dbt build`
leaves them out (transform.RUN_EXCLUDES): they test the SQL on fixed inputs,
so they belong to the test suite, not to every day's run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from transform import TRANSFORM_DIR, dbt_command

BIN = Path(sys.executable).parent


def _declared_unit_tests() -> set[tuple[str, str]]:
    """(model, name) of every unit test in the models' YAML, read without dbt."""
    found = set()
    for path in (TRANSFORM_DIR / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            found.add((test["model"], test["name"]))
    return found


def test_every_dbt_unit_test_runs_and_passes(simulated_shop, tmp_path):
    """All of them pass against the simulated shop's working database (dbt reads the column types
    of a model's inputs from there), and none is skipped or missing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DBT_"))}
    done = subprocess.run(
        dbt_command(simulated_shop, ["test", "--select", "test_type:unit"], tmp_path),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-5000:]
    results = json.loads((tmp_path / "run_results.json").read_text())["results"]
    ran = {
        tuple(r["unique_id"].split(".")[2:]): r["status"] for r in results if r["unique_id"].startswith("unit_test.")
    }
    assert set(ran) == _declared_unit_tests()
    assert set(ran.values()) == {"pass"}
    assert len(ran) >= 30
