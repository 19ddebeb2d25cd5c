"""The dbt side of the landing contract is what ingest/contract.py gives, and nothing else.

transform/models/staging/_sources.yml and the accepted_values lists that name a contract enum
("# generated from ingest.contract.<ENUM>") are generated (ingest/dbt_sources.py,
scripts/generate-dbt-sources). These tests regenerate them into a copy of the dbt YAML and fail on
any difference from the committed files, on a hand-written list that copies a contract enum, and on
contract text the sources would lose."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from ingest import contract, dbt_sources
from ingest.contract import ENTITIES, FIELD_DOCS, RAW_METADATA_COLUMNS
from ingest.dbt_sources import SOURCES_PATH, TRANSFORM_DIR


def _copy_yaml(target: Path) -> Path:
    """The dbt project's YAML (all the generator reads or writes) under `target`."""
    for path in [*dbt_sources.yaml_files(TRANSFORM_DIR), TRANSFORM_DIR / SOURCES_PATH]:
        dest = target / path.relative_to(TRANSFORM_DIR)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return target


def _committed(rel: Path) -> str:
    return (TRANSFORM_DIR / rel).read_text(encoding="utf-8")


def test_regenerated_files_equal_the_committed_ones(tmp_path):
    """Regenerate from scratch (the sources file removed) into a copy, compare file by file."""
    project = _copy_yaml(tmp_path / "transform")
    (project / SOURCES_PATH).unlink()
    for path in dbt_sources.yaml_files(project):  # the generated lists are rewritten, not copied through
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text(
            "".join(
                line.replace("values: ['", "values: ['stale', '") if "ingest.contract." in line else line
                for line in lines
            ),
            encoding="utf-8",
        )
    assert dbt_sources.main(["--project-dir", str(project)]) == 0
    generated = dbt_sources.generate(project)
    assert SOURCES_PATH in generated and len(generated) > 1
    stale = [str(rel) for rel in generated if (project / rel).read_text(encoding="utf-8") != _committed(rel)]
    assert not stale, f"differ from ingest/contract.py: {stale} (run scripts/generate-dbt-sources)"
    assert dbt_sources.differences(TRANSFORM_DIR) == []


def test_sources_file_says_it_is_generated_and_is_stable():
    text = dbt_sources.render_sources()
    assert text.startswith("# Generated from ingest/contract.py by scripts/generate-dbt-sources: do not edit by hand")
    assert text == dbt_sources.render_sources()


def test_every_contract_field_is_a_documented_typed_source_column():
    source = yaml.safe_load(_committed(SOURCES_PATH))["sources"][0]
    assert (source["name"], source["schema"]) == ("raw", "raw") and source["description"] == contract.RAW_DOC
    tables = {t["name"]: t for t in source["tables"]}
    assert list(tables) == [e.name for e in ENTITIES]
    for entity in ENTITIES:
        table = tables[entity.name]
        assert table["description"].startswith(entity.doc) and f"`{entity.folder}`" in table["description"]
        columns = {c["name"]: c for c in table["columns"]}
        assert list(columns) == entity.field_names + list(RAW_METADATA_COLUMNS)
        for field in entity.fields:
            column = columns[field.name]
            assert column["data_type"] == field.duckdb_type.lower()
            assert column["description"].startswith(field.description)
            assert ("Required." in column["description"]) == field.required
            if field.enum:
                assert column["description"].endswith(f"One of: {', '.join(field.enum)}.")
        # no tests on the raw sources: the quality gate checks them (quality/suites.py)
        assert not any("data_tests" in c or "tests" in c for c in table["columns"])


def test_the_contract_documents_every_field_and_nothing_else():
    names = {f.name for e in ENTITIES for f in e.fields}
    assert not [n for n in names if not next(f for e in ENTITIES for f in e.fields if f.name == n).description]
    assert set(FIELD_DOCS) <= names, f"FIELD_DOCS describes no field: {sorted(set(FIELD_DOCS) - names)}"
    unmarked = [
        f"{e.name}.{f.name}" for e in ENTITIES for f in e.fields if f.pii and "Personal data" not in f.description
    ]
    assert not unmarked, f"personal data whose description does not say so: {unmarked}"


def test_no_hand_written_copy_of_a_contract_enum():
    assert dbt_sources.unreferenced_copies(TRANSFORM_DIR) == []


def test_enum_references_cover_the_lists_that_repeat_the_contract():
    refs = {(f, ref) for f, _, ref in dbt_sources.enum_references(TRANSFORM_DIR)}
    assert ("models/staging/shop/stg_shop__payments.yml", "PAYMENT_METHODS") in refs
    assert ("models/marts/funnel_daily.yml", "PLATFORMS + ['unknown']") in refs
    assert ("seeds/_seeds.yml", "PRIORITIES") in refs
    assert len(refs) >= 26


def test_a_contract_change_reaches_every_list_that_names_the_enum(tmp_path, monkeypatch):
    project = _copy_yaml(tmp_path / "transform")
    monkeypatch.setattr(contract, "PLATFORMS", (*contract.PLATFORMS, "tv"))
    rel = Path("models/marts/funnel_daily.yml")
    text = dbt_sources.generate(project)[rel]
    assert "values: ['web', 'app', 'mini_program', 'tv', 'unknown']  # generated from ingest.contract.PLATFORMS" in text
    assert rel in dbt_sources.differences(project)
    assert dbt_sources.main(["--check", "--project-dir", str(project)]) == 1


def test_a_hand_edit_or_an_unknown_enum_fails(tmp_path):
    project = _copy_yaml(tmp_path / "transform")
    path = project / "models/staging/shop/stg_shop__orders.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("'cancelled']", "'cancelled', 'lost']", 1), encoding="utf-8")
    assert dbt_sources.main(["--check", "--project-dir", str(project)]) == 1
    path.write_text(text.replace("ingest.contract.ORDER_STATUSES", "ingest.contract.ORDER_STATES", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"stg_shop__orders.yml:\d+: ingest.contract has no enum ORDER_STATES"):
        dbt_sources.generate(project)


def test_the_last_complete_day_counts_every_raw_table():
    """int_last_complete_day lists the raw tables it reads; a new entity of the contract must be
    among them, or its batch days would not count as loaded."""
    sql = (TRANSFORM_DIR / "models/intermediate/calendar/int_last_complete_day.sql").read_text()
    listed = set(re.findall(r"'([a-z_]+)'", sql.split("%}", 1)[0]))
    assert listed == {entity.name for entity in ENTITIES}
