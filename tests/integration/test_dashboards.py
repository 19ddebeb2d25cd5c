"""The dashboards in the pipeline: rebuilt after every good publish, untouched when a gate fails,
switched in atomically (what they say without a warehouse: tests/unit/test_dashboard_messages.py).

A copy of the simulated shop (its good run built the site) runs one batch day twice: with a
corrupted orders file (the gate fails: the site stays byte for byte what it was), then with the
file restored (the run publishes: the site is rebuilt from the new publication).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import timedelta

import pytest

from dashboards.build import VERSIONS, build_site
from dashboards.pages import PAGES
from tests.support.warehouse import SIM_START, new_settings, read_table, run_window_as

DAY = SIM_START + timedelta(days=3)


def _site_hashes(site) -> dict[str, str]:
    return {
        str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def _published_run(settings) -> str:
    return read_table(settings.serving_db, "SELECT run_id FROM ops.publication").item()


@pytest.fixture(scope="module")
def reruns(simulated_shop, tmp_path_factory):
    good = simulated_shop
    home, landing = tmp_path_factory.mktemp("dash_home"), tmp_path_factory.mktemp("dash_landing")
    # symlinks=True keeps `dashboards` the relative symlink into `.dashboards/` the build made
    shutil.copytree(
        good.home, home, dirs_exist_ok=True, symlinks=True, ignore=shutil.ignore_patterns("*.lock", "*.tmp")
    )
    shutil.copytree(good.landing, landing, dirs_exist_ok=True)
    settings = new_settings(home, landing)
    site = settings.dashboards_dir
    states = {"first": (_site_hashes(site), os.readlink(site), _published_run(settings))}

    # a fifth of the day's orders with an unknown status: the quarantine share fails the gate
    [orders] = (landing / "shop" / "orders" / f"dt={DAY}").iterdir()
    clean = orders.read_text()
    lines = clean.splitlines()
    status = lines[0].split(",").index("status")
    for i in range(1, len(lines), 5):
        fields = lines[i].split(",")
        fields[status] = "on_hold"
        lines[i] = ",".join(fields)
    orders.write_text("\n".join(lines) + "\n")
    bad = run_window_as(settings, DAY, DAY)
    states["after_bad"] = (_site_hashes(site), os.readlink(site), _published_run(settings))

    orders.write_text(clean)
    good_again = run_window_as(settings, DAY, DAY)
    states["after_good"] = (_site_hashes(site), os.readlink(site), _published_run(settings))
    return settings, bad, good_again, states


def test_the_pipeline_built_the_site_from_the_publication(simulated_shop):
    site = simulated_shop.dashboards_dir
    assert site.is_symlink() and os.readlink(site).startswith(VERSIONS + "/")
    assert {p.FILE for p in PAGES} <= {p.name for p in site.iterdir()}
    run_id = _published_run(simulated_shop)
    for page in PAGES:
        text = (site / page.FILE).read_text(encoding="utf-8")
        assert f"run {run_id[:8]}" in text  # footer: the publication the page was built from


def test_a_failed_gate_leaves_the_site_byte_identical_and_a_good_run_rebuilds_it(reruns):
    settings, bad, good_again, states = reruns
    assert not bad.success and "quarantine_share failed" in bad.one_line()
    assert states["after_bad"] == states["first"]  # same files, same bytes, same version, same publication
    assert good_again.success, good_again.one_line()
    hashes, version, run_id = states["after_good"]
    assert run_id == good_again.run_id != states["first"][2]
    assert version != states["first"][1] and hashes != states["first"][0]
    assert f"run {run_id[:8]}" in (settings.dashboards_dir / "index.html").read_text(encoding="utf-8")
    # the previous version is kept for a page opened just before the switch; older ones are gone
    kept = sorted(p.name for p in (settings.home / VERSIONS).iterdir())
    assert kept == sorted({os.path.basename(states["first"][1]), os.path.basename(version)})


def test_a_build_switches_versions_and_replaces_an_old_plain_directory(simulated_shop, tmp_path):
    site = tmp_path / "dashboards"
    site.mkdir()
    (site / "index.html").write_text("old skeleton")  # a site of the one-page skeleton
    index = build_site(simulated_shop.serving_db, site, simulated_shop.base_currency)
    assert site.is_symlink() and index.read_text(encoding="utf-8").startswith("<!doctype html>")
    first = os.readlink(site)
    build_site(simulated_shop.serving_db, site, simulated_shop.base_currency)
    build_site(simulated_shop.serving_db, site, simulated_shop.base_currency)
    versions = sorted(p.name for p in (tmp_path / VERSIONS).iterdir())
    assert len(versions) == 2 and os.path.basename(first) not in versions  # the latest two
    assert not list(tmp_path.glob(".dashboards.*.link"))
    with pytest.raises(FileNotFoundError, match="run the pipeline first"):
        build_site(tmp_path / "missing.duckdb", tmp_path / "other", "CNY")
