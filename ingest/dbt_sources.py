"""The dbt side of the landing contract, rendered from `ingest/contract.py`.

Two things in transform/ repeat the contract and are therefore generated, never edited by hand:

- `models/staging/_sources.yml`, the source `raw`: every raw table with its description, every
  contract field with its description ("Required." and the enum's values appended), its DuckDB
  type, and the metadata columns ingest adds. The sources carry no dbt tests: the raw tables are
  checked against the contract by the quality gate (quality/suites.py), which reads this module's
  contract too.
- The `values:` of every `accepted_values` test in the dbt YAML (models/, seeds/) that ends in a
  reference to a contract enum, e.g.

      values: ['pending', 'paid', 'shipped', 'delivered', 'cancelled']  # generated from ingest.contract.ORDER_STATUSES
      values: ['chat', 'email', 'phone', 'social', 'unknown']  # generated from ingest.contract.SERVICE_CHANNELS + ['unknown']

  The list stays written out in the YAML (dbt cannot import Python, and a `{{ var(...) }}` in
  `values` would rename the test: dbt names a generic test after its arguments as written), but
  the generator rewrites it from the named enum, plus the literal extras after `+`.

Run `scripts/generate-dbt-sources` (or `python -m ingest.dbt_sources`) after changing the
contract; `--check` writes nothing and exits 1 when a file differs from what the contract gives.
tests/unit/test_dbt_sources_generated.py fails on any such drift.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

from ingest import contract
from ingest.contract import ENTITIES, RAW_DOC, RAW_METADATA_COLUMNS, RAW_METADATA_DOCS, Entity, Field

TRANSFORM_DIR = Path(__file__).resolve().parent.parent / "transform"
SOURCES_PATH = Path("models/staging/_sources.yml")  # relative to the dbt project
# Where the YAML with enum references lives (relative to the dbt project).
YAML_GLOBS = ("models/**/*.yml", "seeds/**/*.yml")
RUN = "scripts/generate-dbt-sources"
HEADER = f"# Generated from ingest/contract.py by {RUN}: do not edit by hand.\n"

_REF = re.compile(
    r"^(?P<head>\s*values:\s*)(?P<values>\[.*?\])(?P<gap>\s+)"
    r"(?P<ref>#\s*generated from ingest\.contract\.(?P<name>[A-Z][A-Z0-9_]*)(?:\s*\+\s*(?P<extra>\[.*\]))?)\s*$"
)
_VALUES = re.compile(r"^\s*values:\s*(?P<values>\[.*\])\s*(?:#.*)?$")


# --------------------------------------------------------------------------- contract enums


def contract_enums() -> dict[str, tuple[str, ...]]:
    """Every enum a dbt YAML may reference: the contract's upper-case tuples of strings, by name."""
    return {
        name: value
        for name, value in vars(contract).items()
        if name.isupper() and isinstance(value, tuple) and value and all(isinstance(v, str) for v in value)
    }


def field_enums() -> dict[str, tuple[str, ...]]:
    """The contract enums that some field takes its values from (the lists a dbt test must not copy)."""
    used = {f.enum for e in ENTITIES for f in e.fields if f.enum}
    return {name: value for name, value in contract_enums().items() if value in used}


# --------------------------------------------------------------------------- _sources.yml


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string escapes are a subset of YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def table_description(entity: Entity) -> str:
    return f"{entity.doc} Landing folder `{entity.folder}`; key ({', '.join(entity.key)})."


def column_description(field: Field) -> str:
    text = field.description
    if field.required:
        text += " Required."
    if field.enum:
        text += f" One of: {', '.join(field.enum)}."
    return text


def render_sources() -> str:
    """The whole of models/staging/_sources.yml."""
    lines = [
        HEADER.rstrip("\n"),
        "version: 2",
        "",
        "sources:",
        "  - name: raw",
        f"    description: {_q(RAW_DOC)}",
        "    schema: raw",
        "    tables:",
    ]
    for entity in ENTITIES:
        if not entity.doc:
            raise ValueError(f"{entity.name}: the contract gives the entity no doc")
        lines += [
            f"      - name: {entity.name}",
            f"        description: {_q(table_description(entity))}",
            "        columns:",
        ]
        columns = [(f.name, column_description(f), f.duckdb_type) for f in entity.fields]
        columns += [(name, RAW_METADATA_DOCS[name], typ) for name, typ in RAW_METADATA_COLUMNS.items()]
        for name, description, typ in columns:
            lines += [
                f"          - name: {name}",
                f"            description: {_q(description)}",
                f"            data_type: {typ.lower()}",
            ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- enum lists of dbt tests


def _yaml_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def referenced_values(name: str, extra: str | None) -> list[str]:
    enums = contract_enums()
    if name not in enums:
        raise ValueError(f"ingest.contract has no enum {name} (known: {', '.join(sorted(enums))})")
    extras = ast.literal_eval(extra) if extra else []
    if not isinstance(extras, list) or not all(isinstance(v, str) for v in extras):
        raise ValueError(f"the extras after {name} must be a list of strings: {extra}")
    return [*enums[name], *extras]


def render_enum_lists(text: str, where: str = "") -> str:
    """`text` (a dbt YAML file) with every `values:` that names a contract enum rewritten from it."""
    out = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        body = line.rstrip("\r\n")
        m = _REF.match(body)
        if m:
            try:
                values = referenced_values(m["name"], m["extra"])
            except ValueError as exc:
                raise ValueError(f"{where}:{number}: {exc}") from None
            line = f"{m['head']}{_yaml_list(values)}{m['gap']}{m['ref']}" + line[len(body) :]
        out.append(line)
    return "".join(out)


def yaml_files(transform_dir: Path = TRANSFORM_DIR) -> list[Path]:
    """The dbt YAML files that may hold accepted_values lists (the generated sources excluded)."""
    files = {p for pattern in YAML_GLOBS for p in transform_dir.glob(pattern)}
    return sorted(p for p in files if p.relative_to(transform_dir) != SOURCES_PATH)


def enum_references(transform_dir: Path = TRANSFORM_DIR) -> list[tuple[str, int, str]]:
    """(file relative to the dbt project, line, reference) of every generated enum list."""
    refs = []
    for path in yaml_files(transform_dir):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _REF.match(line)
            if m:
                refs.append((str(path.relative_to(transform_dir)), number, m["ref"].split("ingest.contract.", 1)[1]))
    return refs


def unreferenced_copies(transform_dir: Path = TRANSFORM_DIR) -> list[str]:
    """`file:line (ENUM)` of every hand-written `values:` list that holds all values of a field's
    enum: such a list repeats the contract and should reference it instead."""
    enums = field_enums()
    found = []
    for path in yaml_files(transform_dir):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _VALUES.match(line)
            if not m or _REF.match(line):
                continue
            try:
                values = ast.literal_eval(m["values"])
            except (ValueError, SyntaxError):
                continue
            copied = [name for name, enum in enums.items() if set(enum) <= {str(v) for v in values}]
            if copied:
                found.append(f"{path.relative_to(transform_dir)}:{number} ({', '.join(copied)})")
    return found


# --------------------------------------------------------------------------- all generated files


def generate(transform_dir: Path = TRANSFORM_DIR) -> dict[Path, str]:
    """{path relative to the dbt project: content} of every file the contract generates or touches."""
    files = {SOURCES_PATH: render_sources()}
    for path in yaml_files(transform_dir):
        rel = path.relative_to(transform_dir)
        text = path.read_text(encoding="utf-8")
        if any(_REF.match(line) for line in text.splitlines()):
            files[rel] = render_enum_lists(text, str(rel))
    return files


def _stale(transform_dir: Path) -> dict[Path, str]:
    generated = generate(transform_dir)
    return {
        rel: text
        for rel, text in generated.items()
        if not (transform_dir / rel).is_file() or (transform_dir / rel).read_text(encoding="utf-8") != text
    }


def differences(transform_dir: Path = TRANSFORM_DIR) -> list[Path]:
    """The files (relative to the dbt project) whose content is not what the contract gives."""
    return list(_stale(transform_dir))


def write(transform_dir: Path = TRANSFORM_DIR) -> list[Path]:
    """Write every generated file that differs; returns what was written."""
    stale = _stale(transform_dir)
    for rel, text in stale.items():
        (transform_dir / rel).write_text(text, encoding="utf-8", newline="\n")
    return list(stale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=RUN, description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs")
    parser.add_argument("--project-dir", type=Path, default=TRANSFORM_DIR, help="the dbt project (default: transform/)")
    args = parser.parse_args(argv)
    project = args.project_dir.resolve()
    copies = unreferenced_copies(project)
    for where in copies:
        print(
            f"{where}: hand-written copy of a contract enum; end the line with "
            f"'# generated from ingest.contract.<ENUM>'",
            file=sys.stderr,
        )
    if args.check:
        stale = differences(project)
        for rel in stale:
            print(f"{rel}: differs from ingest/contract.py (run {RUN})", file=sys.stderr)
        return 1 if stale or copies else 0
    for rel in write(project):
        print(f"wrote {project.name}/{rel}")
    return 1 if copies else 0


if __name__ == "__main__":
    sys.exit(main())
