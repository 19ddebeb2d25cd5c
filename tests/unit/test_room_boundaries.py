"""Rooms reach each other only through their packages' public names: `from ingest import ENTITIES`,
never `from ingest.contract import ENTITIES` from another room. Each room's `__init__.py` says its
job in a docstring and lists its public names in `__all__` (some import them on first use, PEP 562).
Imports inside a room, and in tests/, bench/ and scripts/, are free. The rooms' source is read
with `ast`; only the last test imports the rooms, to resolve every public name."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

ROOT = next(path for path in Path(__file__).resolve().parents if (path / "pyproject.toml").is_file())
WHEEL = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
ROOMS = tuple(WHEEL["packages"])


def room_files(room: str) -> list[Path]:
    return sorted(path for path in (ROOT / room).rglob("*.py") if "__pycache__" not in path.parts)


def _imports(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, [node.module], f"from {node.module} import {', '.join(alias.name for alias in node.names)}"
        elif isinstance(node, ast.Import):  # relative imports (level > 0) stay inside their room
            names = [alias.name for alias in node.names]
            yield node, names, f"import {', '.join(names)}"


def deep_imports(room: str, source: str) -> list[tuple[int, str]]:
    """(line, statement) of every import in a file of `room` that reaches into another room's
    modules: `from other.module import x` or `import other.module`."""
    found = []
    for node, names, text in _imports(source):
        for name in names:
            top, _, rest = name.partition(".")
            if top in ROOMS and top != room and rest:
                found.append((node.lineno, text))
                break
    return sorted(found)


def test_the_rooms_are_the_wheels_packages():
    assert "orchestration" in ROOMS and "cli" in ROOMS
    assert all((ROOT / room / "__init__.py").is_file() for room in ROOMS)


def test_no_room_imports_another_rooms_modules():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for room in ROOMS
        for path in room_files(room)
        for line, text in deep_imports(room, path.read_text())
    ]
    assert not offenders, "import another room's public names (`from room import name`) instead of:\n" + "\n".join(
        offenders
    )


def test_the_check_catches_a_deep_import_and_allows_the_rest():
    source = (
        "import orchestration\n"
        "from orchestration import run_window\n"
        "from cli.console import Progress\n"  # own room
        "from . import console\n"
        "from .status import collect_status\n"
        "import polars.selectors\n"  # not a room
        "def late():\n"
        "    from orchestration.runner import run_window\n"
        "import os, serving.readers\n"
    )
    assert deep_imports("cli", source) == [
        (8, "from orchestration.runner import run_window"),
        (9, "import os, serving.readers"),
    ]


def _module(room: str) -> ast.Module:
    return ast.parse((ROOT / room / "__init__.py").read_text())


def test_every_room_says_its_job_in_a_docstring():
    missing = [f"{room}/__init__.py" for room in ROOMS if not (ast.get_docstring(_module(room)) or "").strip()]
    assert not missing, f"no docstring: {missing}"


def _assigns_all(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    return isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__"


def test_every_room_lists_its_public_names():
    missing = [f"{room}/__init__.py" for room in ROOMS if not any(map(_assigns_all, _module(room).body))]
    assert not missing, f"no __all__: {missing}"


def test_every_public_name_exists_and_crossing_imports_use_only_public_names():
    """Imports the rooms: a name in `__all__` that does not resolve (a lazy re-export naming the
    wrong module), or `from room import x` of a name the room does not export, fails here."""
    public = {room: importlib.import_module(room).__all__ for room in ROOMS}
    unresolved = [
        f"{room}.{name}" for room in ROOMS for name in public[room] if not hasattr(importlib.import_module(room), name)
    ]
    assert not unresolved, f"in __all__ but missing: {unresolved}"
    private = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {text} ({name} is not in {node.module}.__all__)"
        for room in ROOMS
        for path in room_files(room)
        for node, _, text in _imports(path.read_text())
        if isinstance(node, ast.ImportFrom) and node.module in ROOMS and node.module != room
        for name in (alias.name for alias in node.names)
        if name not in public[node.module]
    ]
    assert not private, "\n".join(private)
