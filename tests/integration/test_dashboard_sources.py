"""The dashboards read published marts only, and each page's dbt exposure names exactly those.

The site is built for real (`build_site`, as the pipeline's last step runs it) from the simulated
shop's serving database, with every query of the build recorded through the one reader the pages
share (dashboards/queries.py) and attributed to the page being built; the queries run before any
page (the date axis, the publication) belong to every page. Each query is parsed by DuckDB
(`json_serialize_sql`) and the tables it reads are collected, CTE names aside. Then:

- every table a page reads is in schema `marts` or `ops` (ops: the published run, load and check
  history; never `intermediate`, `staging`, `raw` nor an unqualified name);
- the marts a page reads are exactly the `depends_on` of its exposure in the dbt manifest
  (transform/models/marts/_exposures.yml), and every page is one exposure: the lineage cannot
  drift from the SQL.
"""

from __future__ import annotations

import json
from collections import defaultdict

import duckdb
import pytest

import dashboards.build as build
from dashboards.pages import PAGES
from dashboards.queries import Reader
from transform import prepare

ALLOWED_SCHEMAS = {"marts", "ops"}
BEFORE_ANY_PAGE = None  # queries of the build itself (date axis, publication): every page's


class RecordingConnection:
    """A DuckDB connection that records each statement under the page being built."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.page: str | None = BEFORE_ANY_PAGE
        self.queries: dict[str | None, list[str]] = defaultdict(list)

    def execute(self, sql: str, parameters=None):
        self.queries[self.page].append(sql)
        return self.con.execute(sql, parameters)


def tables_read(sql: str) -> set[str]:
    """`schema.table` of every table `sql` reads (a name without a schema stays bare; CTEs are
    left out), from DuckDB's own parse tree."""
    con = duckdb.connect()
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    finally:
        con.close()
    assert not tree["error"], f"the query does not parse: {tree.get('error_message')}\n{sql}"
    ctes: set[str] = set()
    tables: set[tuple[str, str, str]] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                tables.add((node.get("catalog_name", ""), node.get("schema_name", ""), node["table_name"]))
            for entry in (node.get("cte_map") or {}).get("map", []):
                ctes.add(entry["key"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree["statements"])
    return {
        ".".join(p for p in (catalog, schema, table) if p)
        for catalog, schema, table in tables
        if schema or catalog or table not in ctes
    }


@pytest.fixture(scope="module")
def recorded(simulated_shop, tmp_path_factory) -> dict[str, list[str]]:
    """{page file: every SQL statement its build ran}, from a real build of the site."""
    recorders: list[RecordingConnection] = []

    def recording_reader(con):
        recorder = RecordingConnection(con)
        recorders.append(recorder)
        return Reader(recorder)

    page_data = build._page_data

    def page_data_recorded(reader, meta, page):
        reader.con.page = page.FILE
        try:
            return page_data(reader, meta, page)
        finally:
            reader.con.page = BEFORE_ANY_PAGE

    site = tmp_path_factory.mktemp("dash_sources") / "dashboards"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "Reader", recording_reader)
        mp.setattr(build, "_page_data", page_data_recorded)
        build.build_site(simulated_shop.serving_db, site, simulated_shop.base_currency)
    [recorder] = recorders
    shared = recorder.queries[BEFORE_ANY_PAGE]
    assert shared, "the build read no date axis or publication"
    return {page.FILE: shared + recorder.queries[page.FILE] for page in PAGES}


@pytest.fixture(scope="module")
def exposures() -> dict[str, dict]:
    """{page file (meta.page): its exposure} of the dbt manifest, with `reads`: the `schema.table`
    of every node it depends on."""
    manifest = json.loads((prepare() / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}

    def relation(unique_id: str) -> str:
        node = nodes[unique_id]
        name = node.get("identifier") if node["resource_type"] == "source" else node.get("alias")
        return f"{node['schema']}.{name or node['name']}"

    out = {}
    for exposure in manifest["exposures"].values():
        page = exposure["meta"].get("page")
        assert page, f"exposure {exposure['name']} names no page (meta.page)"
        assert page not in out, f"two exposures for {page}"
        out[page] = {**exposure, "reads": {relation(u) for u in exposure["depends_on"]["nodes"]}}
    return out


def test_tables_read_sees_through_ctes_subqueries_and_parameters():
    sql = """WITH c AS (SELECT a FROM marts.x WHERE d >= $1), plain AS (SELECT 1 AS one)
             SELECT * FROM c, plain LEFT JOIN (SELECT date FROM marts.y) t USING (date)
             WHERE a = (SELECT run_id FROM ops.publication) AND d >= ?::DATE - 7"""
    assert tables_read(sql) == {"marts.x", "marts.y", "ops.publication"}
    assert tables_read("SELECT * FROM intermediate.int_tickets JOIN kpi_daily USING (date)") == {
        "intermediate.int_tickets",
        "kpi_daily",
    }


def test_every_page_is_a_dashboard_exposure(exposures):
    assert sorted(exposures) == sorted(page.FILE for page in PAGES)
    for page in PAGES:
        exposure = exposures[page.FILE]
        assert exposure["type"] == "dashboard" and exposure["maturity"] and exposure["owner"].get("name")
        assert exposure["description"].strip() and page.FILE in exposure["description"]
        # an exposure depends on published marts only (dbt models or sources in schema marts)
        assert {r.split(".")[0] for r in exposure["reads"]} == {"marts"}, exposure["reads"]


def test_every_page_ran_queries(recorded):
    for page in PAGES:
        assert len(recorded[page.FILE]) > 2, f"{page.FILE} ran no query of its own"


@pytest.mark.parametrize("page", [p.FILE for p in PAGES])
def test_a_page_reads_only_marts_and_ops(recorded, page):
    outside = {
        table: sql
        for sql in recorded[page]
        for table in tables_read(sql)
        if table.split(".")[0] not in ALLOWED_SCHEMAS or table.count(".") != 1
    }
    assert outside == {}, f"{page} reads tables outside marts and ops: {sorted(outside)}"


@pytest.mark.parametrize("page", [p.FILE for p in PAGES])
def test_the_exposure_of_a_page_lists_exactly_the_marts_it_reads(recorded, exposures, page):
    marts = {table for sql in recorded[page] for table in tables_read(sql) if table.startswith("marts.")}
    declared = exposures[page]["reads"]
    assert marts == declared, (
        f"{page}: reads but not in its exposure's depends_on: {sorted(marts - declared)}; "
        f"declared but not read: {sorted(declared - marts)} (transform/models/marts/_exposures.yml)"
    )
