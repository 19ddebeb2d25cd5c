"""The dbt docs site lists every published mart of kpis.md with every column and a definition.

`dbt docs generate` builds the site from the manifest (descriptions) and the catalog (the warehouse's
actual columns). This test reads the kpis.md table "Published marts" and the parsed manifest: each
mart is a dbt model or a documented source table in schema `marts`, with a description, and each
column kpis.md names has a non-empty description. The catalog side (the columns exist) is covered
by the pipeline tests that read every mart from serving.duckdb.

The spec's second edition names marts and columns that are not built yet; they are listed by hand in
MISSING_UNTIL_ISSUE_17 and expected to fail (strictly): once one is built and documented, its test
passes unexpectedly and fails the run, and its entry must then be removed from the list."""

from __future__ import annotations

import json
import os
import re
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


def _published_marts() -> dict[str, list[str]]:
    """{mart: [key and column names]} from the table under "## Published marts"."""
    text = KPIS.read_text(encoding="utf-8").split("## Published marts", 1)[1]
    marts = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        # remarks in parentheses are not names: "`customer_key` (hashed)", "`channel` (`all` for the whole shop)"
        names = re.sub(r"\([^)]*\)", "", f"{cells[1]}, {cells[2]}")
        marts[cells[0].strip("`")] = re.findall(r"`?([a-z_][a-z0-9_]*)`?", names)
    return marts


MARTS = _published_marts()

# Marts (None: the whole mart) and columns of kpis.md that are not built yet. Issue 17 builds them;
# remove an entry as soon as its test passes (the strict xfail below turns that pass into a failure).
MISSING_UNTIL_ISSUE_17: dict[str, set[str] | None] = {}

_NOT_BUILT = pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="issue 17 (The handbook's missing half): not built yet"
)


def _mart_missing(mart: str) -> bool:
    return mart in MISSING_UNTIL_ISSUE_17 and MISSING_UNTIL_ISSUE_17[mart] is None


def _column_missing(mart: str, column: str) -> bool:
    # every column of a mart that is missing as a whole is missing too
    return _mart_missing(mart) or column in (MISSING_UNTIL_ISSUE_17.get(mart) or ())


MART_PARAMS = [pytest.param(m, id=m, marks=[_NOT_BUILT] if _mart_missing(m) else []) for m in sorted(MARTS)]
COLUMN_PARAMS = [
    pytest.param(m, c, id=f"{m}.{c}", marks=[_NOT_BUILT] if _column_missing(m, c) else [])
    for m in sorted(MARTS)
    for c in dict.fromkeys(MARTS[m])
]


@pytest.fixture(scope="module")
def documented() -> dict[str, dict]:
    manifest = json.loads((prepare() / "manifest.json").read_text())
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    return {n["name"]: n for n in nodes if n["resource_type"] in ("model", "source") and n.get("schema") == "marts"}


def test_kpis_md_lists_the_twenty_marts():
    assert len(MARTS) == 20 and "kpi_daily" in MARTS and "data_health" in MARTS
    assert "customer_key" in MARTS["customer_rfm"] and "backtest_mape" in MARTS["gmv_forecast"]
    assert MARTS["target_tracking"][:3] == ["month", "metric", "channel"] and "all" not in MARTS["target_tracking"]


def test_missing_list_names_only_what_kpis_md_lists():
    """A stale entry (a mart or column kpis.md no longer names) would excuse nothing; keep the list exact."""
    unknown = [m for m in MISSING_UNTIL_ISSUE_17 if m not in MARTS]
    unknown += [
        f"{m}.{c}"
        for m, cols in MISSING_UNTIL_ISSUE_17.items()
        if m in MARTS
        for c in sorted(cols or ())
        if c not in MARTS[m]
    ]
    assert not unknown, f"MISSING_UNTIL_ISSUE_17 names what kpis.md does not list: {unknown}"


@pytest.mark.parametrize("mart", MART_PARAMS)
def test_mart_documented(documented, mart):
    assert mart in documented, f"{mart} is not a dbt model or source in schema marts"
    assert documented[mart].get("description", "").strip(), f"{mart} has no description"


@pytest.mark.parametrize("mart, column", COLUMN_PARAMS)
def test_column_documented(documented, mart, column):
    assert mart in documented, f"{mart} is not a dbt model or source in schema marts"
    description = documented[mart]["columns"].get(column, {}).get("description", "")
    assert description.strip(), f"{mart}.{column} has no definition in dbt docs"
