"""The dbt docs site lists every published mart of kpis.md with every column and a definition.

`dbt docs generate` builds the site from the manifest (descriptions) and the catalog (the warehouse's
actual columns). This test reads the kpis.md table "Published marts" and the parsed manifest: each
mart is a dbt model or a documented source table in schema `marts`, with a description, and each
column kpis.md names has a non-empty description. The catalog side (the columns exist) is covered
by the pipeline tests that read every mart from serving.duckdb.

It also checks the tests every mart must carry: its keys not null and unique, its contract
enforced."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import REPO
from transform import prepare

# The spec lives beside the repository (../shared/spec); WAREHOUSE_SPEC_DIR points elsewhere.
_SPEC_DIRS = [os.environ.get("WAREHOUSE_SPEC_DIR", ""), REPO.parent / "shared" / "spec"]
KPIS = next((Path(d) / "kpis.md" for d in _SPEC_DIRS if d and (Path(d) / "kpis.md").is_file()), None)
if KPIS is None:
    pytest.skip(
        "kpis.md not found (../shared/spec or WAREHOUSE_SPEC_DIR): nothing to compare the dbt docs with",
        allow_module_level=True,
    )


def _names(cell: str) -> list[str]:
    # remarks in parentheses are not names: "`customer_key` (hashed)", "`channel` (`all` for the whole shop)"
    return re.findall(r"`?([a-z_][a-z0-9_]*)`?", re.sub(r"\([^)]*\)", "", cell))


def _published_marts() -> dict[str, tuple[list[str], list[str]]]:
    """{mart: ([keys], [other columns])} from the table under "## Published marts"."""
    text = KPIS.read_text(encoding="utf-8").split("## Published marts", 1)[1]
    marts = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            marts[cells[0].strip("`")] = (_names(cells[1]), _names(cells[2]))
    return marts


PUBLISHED = _published_marts()
MARTS = {mart: keys + columns for mart, (keys, columns) in PUBLISHED.items()}  # mart -> key and column names

MART_PARAMS = [pytest.param(m, id=m) for m in sorted(MARTS)]
COLUMN_PARAMS = [pytest.param(m, c, id=f"{m}.{c}") for m in sorted(MARTS) for c in dict.fromkeys(MARTS[m])]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((prepare() / "manifest.json").read_text())


@pytest.fixture(scope="module")
def documented(manifest) -> dict[str, dict]:
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    return {n["name"]: n for n in nodes if n["resource_type"] in ("model", "source") and n.get("schema") == "marts"}


def test_kpis_md_lists_the_twenty_marts():
    assert len(MARTS) == 20 and "kpi_daily" in MARTS and "data_health" in MARTS
    assert "customer_key" in MARTS["customer_rfm"] and "backtest_mape" in MARTS["gmv_forecast"]
    assert MARTS["target_tracking"][:3] == ["month", "metric", "channel"] and "all" not in MARTS["target_tracking"]


@pytest.mark.parametrize("mart", MART_PARAMS)
def test_mart_documented(documented, mart):
    assert mart in documented, f"{mart} is not a dbt model or source in schema marts"
    assert documented[mart].get("description", "").strip(), f"{mart} has no description"


@pytest.mark.parametrize("mart, column", COLUMN_PARAMS)
def test_column_documented(documented, mart, column):
    assert mart in documented, f"{mart} is not a dbt model or source in schema marts"
    description = documented[mart]["columns"].get(column, {}).get("description", "")
    assert description.strip(), f"{mart}.{column} has no definition in dbt docs"


@pytest.mark.parametrize("mart", MART_PARAMS)
def test_mart_tests_its_keys(manifest, documented, mart):
    """Keys not null (not_null or not_null_columns) and unique together (unique or
    unique_combination_of_columns on exactly the keys); the contract enforced. The marts written
    by Python after dbt are sources to dbt: their CREATE TABLE holds the keys (PRIMARY KEY)."""
    node = documented[mart]
    if node["resource_type"] == "source":
        pytest.skip(f"{mart} is built by Python after dbt; its table's PRIMARY KEY holds the keys")
    keys = PUBLISHED[mart][0]
    not_null, unique = set(), []
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or node["unique_id"] not in test["depends_on"]["nodes"]:
            continue
        name, kwargs = test.get("test_metadata", {}).get("name"), test.get("test_metadata", {}).get("kwargs")
        if test["config"]["where"]:
            continue  # a test of some rows only does not cover the column
        if name == "not_null":
            not_null.add(test["column_name"])
        elif name == "not_null_columns":
            not_null.update(kwargs["columns"])
        elif name == "unique":
            unique.append({test["column_name"]})
        elif name == "unique_combination_of_columns":
            unique.append(set(kwargs["combination_of_columns"]))
    assert set(keys) <= not_null, f"{mart}: keys without a not-null test: {sorted(set(keys) - not_null)}"
    assert set(keys) in unique, f"{mart}: no uniqueness test on exactly its keys {keys}"
    assert node["config"]["contract"]["enforced"], f"{mart}: contract not enforced"


def test_warehouse_docs_builds_the_site_offline_without_the_databases(tmp_path):
    """`warehouse docs`: one self-contained HTML file with every mart and its definitions; any
    attempt to reach the network fails here (proxies at a closed port), and no database is opened."""
    home = tmp_path / "home"
    closed = "http://127.0.0.1:9"
    env = {**os.environ, "WAREHOUSE_HOME": str(home), "http_proxy": closed, "https_proxy": closed, "no_proxy": ""}
    env.pop("WAREHOUSE_LANDING", None)
    done = subprocess.run([str(REPO / ".venv" / "bin" / "warehouse"), "docs"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    site = home / "docs" / "static_index.html"
    assert done.stdout.strip() == f"dbt docs: {site}"
    html = site.read_text()
    for mart in MARTS:
        assert f'"{mart}"' in html, mart
    assert "placed_orders" in html
    metadata = json.loads((home / "docs" / "manifest.json").read_text())["metadata"]
    assert metadata["send_anonymous_usage_stats"] is False  # the site sends no usage events either
    assert not (home / "warehouse.duckdb").exists() and not (home / "serving.duckdb").exists()
