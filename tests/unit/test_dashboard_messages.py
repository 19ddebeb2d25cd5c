"""What the dashboards say without a warehouse behind them: the manager's sentence of an
experiment, and `warehouse dashboards` before any publish. The dashboards in the pipeline:
tests/integration/test_dashboards.py."""

from __future__ import annotations

from dashboards.pages.experiments import sentence


def test_the_experiment_sentence_reads_like_a_manager_would_say_it():
    row = {
        "experiment_id": "exp_button",
        "variant": "treatment",
        "exposed": 5000,
        "conversion": 0.054,
        "control_conversion": 0.05,
        "lift": 0.08,
        "ci_low": 0.0015,
        "ci_high": 0.0065,
        "p_value": 0.004,
        "srm_flag": False,
    }
    assert sentence(row) == (
        "exp_button: treatment converts 8 % better than control (5.4 % vs 5.0 %), "
        "95 % CI 3–13 %; significant (p = 0.004)."
    )
    worse = {**row, "lift": -0.2, "conversion": 0.04, "ci_low": -0.02, "ci_high": 0.0, "p_value": 0.3, "srm_flag": True}
    text = sentence(worse)
    assert (
        "converts 20 % worse" in text
        and "95 % CI −40 to 0.0 %" in text
        and "not significant (p = 0.300)" in text
        and "sample-ratio mismatch" in text
    )
    assert "no comparison" in sentence({**row, "lift": None})


def test_dashboards_before_any_publish_is_one_readable_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    warehouse = str(Path(sys.executable).parent / "warehouse")
    env = {"PATH": "/usr/bin:/bin", "WAREHOUSE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([warehouse, "dashboards"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no serving database at"), result.stderr
    assert not (tmp_path / "dashboards").exists()
