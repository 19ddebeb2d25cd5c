"""A run's dbt on DuckDB runs in the run's process (transform/in_process.py): it works in the
warehouse home, keeps the manifest between invocations while the project and vars stay the same,
and leaves the working database free for other processes once it returns."""

from __future__ import annotations

import os
import subprocess
import sys

from config import load_settings
from transform import carry_parse_state, in_process, vars_arg


def _new_home(tmp_path):
    settings = load_settings(home=tmp_path / "home")
    settings.home.mkdir(parents=True)
    assert settings.hash_key  # made now: the DuckDB session plugin reads its file in the home
    return settings


def _invoke(settings, args: list[str], name: str) -> in_process.Invocation:
    target = settings.dbt_dir / "runs" / name
    carry_parse_state(settings, target)
    return in_process.invoke(settings.home, [*args, *vars_arg(settings)], target)


def test_dbt_runs_in_the_home_keeps_its_manifest_and_releases_the_database(tmp_path):
    settings = _new_home(tmp_path)
    before = os.getcwd()

    first = _invoke(settings, ["seed"], "first")
    assert first.success, first.error or first.events[-3:]
    assert os.getcwd() == before
    kept = dict(in_process._manifests)
    assert any(event["info"]["name"] == "LogSeedResult" for event in first.events)
    assert all(event["info"]["level"] != "debug" for event in first.events)

    # another process may open the database for writing: dbt-duckdb's instance was closed
    probe = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "print(con.execute('select count(*) from intermediate.channel_rules').fetchone()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(settings.working_db)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0

    second = _invoke(settings, ["seed"], "second")
    assert second.success, second.error
    # the same manifest object served the second invocation: nothing was parsed again
    assert {key: id(manifest) for key, manifest in in_process._manifests.items()} == {
        key: id(manifest) for key, manifest in kept.items()
    }


def test_a_failing_invocation_says_why_and_leaves_the_process_as_it_was(tmp_path):
    settings = _new_home(tmp_path)
    before = os.getcwd()
    failed = _invoke(settings, ["run-operation", "no_such_macro"], "failed")
    assert not failed.success
    assert "no_such_macro" in (failed.error or "") + " ".join(e["info"]["msg"] for e in failed.events)
    assert os.getcwd() == before


def test_a_project_dbt_cannot_parse_is_named_in_one_line(tmp_path):
    settings = _new_home(tmp_path)
    target = settings.dbt_dir / "runs" / "unparsable"
    failed = in_process.invoke(settings.home, ["seed", "--vars", "{not: [closed"], target)
    assert not failed.success
    assert failed.error.startswith("dbt could not parse the project: "), failed.error
    assert "\n" not in failed.error
