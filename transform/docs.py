"""The dbt documentation outside dbt: the marts' table and column descriptions (written as
comments into the serving database at publish, so a BI tool shows the definitions) and the dbt
docs site built offline into the home (`warehouse docs`).

    mart_descriptions(manifest_dir) -> {table: (description, {column: description})}
    build_docs(settings) -> Path of the site's single HTML file
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from config import Settings, private_dir
from transform.project import dbt_command, parsed_project, run_dbt

MARTS_SCHEMA = "marts"


def mart_descriptions(manifest_dir: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Every table of schema `marts` that dbt documents: the dbt models and the tables declared as
    sources (the Python-built marts, data_health), with their descriptions."""
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    described = {}
    for node in nodes:
        if node["resource_type"] not in ("model", "source") or node.get("schema") != MARTS_SCHEMA:
            continue
        name = node.get("alias") or node.get("identifier") or node["name"]
        columns = {c: (info.get("description") or "").strip() for c, info in node.get("columns", {}).items()}
        described[name] = ((node.get("description") or "").strip(), columns)
    return described


def build_docs(settings: Settings) -> Path:
    """dbt's documentation site as one self-contained HTML file under $WAREHOUSE_HOME/docs.

    Offline and without the working database (a run may be writing it): the manifest comes from
    the parsed project, the catalog is left empty (the columns and types are the documented ones)."""
    target = private_dir(settings.home / "docs")
    shutil.copyfile(parsed_project(settings) / "manifest.json", target / "manifest.json")
    command = dbt_command(
        settings, ["docs", "generate", "--static", "--empty-catalog", "--no-compile", "--quiet"], target
    )
    run_dbt(command, "dbt docs generate")
    site = target / "static_index.html"
    if not site.exists():
        raise RuntimeError(f"dbt docs generate failed: it wrote no {site.name}")
    return site
