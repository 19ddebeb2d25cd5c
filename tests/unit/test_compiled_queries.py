"""The kept SQL of metric requests (serving/compiled_queries.py): found again for the same manifest
and request only, whole or absent, and bounded."""

import os

from serving import compiled_queries
from serving.compiled_queries import CompiledQueries


def test_an_entry_is_found_for_its_manifest_and_request_only(tmp_path):
    kept = CompiledQueries(tmp_path, b'{"metrics": ["gmv"]}')
    kept.put(["gmv", ["metric_time__day"]], {"sql": "SELECT 1", "parameters": None})
    again = CompiledQueries(tmp_path, b'{"metrics": ["gmv"]}')
    assert again.get(["gmv", ["metric_time__day"]]) == {"sql": "SELECT 1", "parameters": None}
    assert again.get(["gmv", ["metric_time__week"]]) is None
    assert CompiledQueries(tmp_path, b'{"metrics": ["gmv", "aov"]}').get(["gmv", ["metric_time__day"]]) is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_cut_short_entry_is_compiled_again_and_an_unwritable_folder_keeps_nothing(tmp_path):
    kept = CompiledQueries(tmp_path, b"manifest")
    kept.put("list", [{"name": "gmv"}])
    (entry,) = tmp_path.glob("*.json")
    entry.write_text('{"sql": "SEL')
    assert kept.get("list") is None
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    CompiledQueries(not_a_folder / "queries", b"manifest").put("list", [])  # the query still answers
    assert CompiledQueries(not_a_folder / "queries", b"manifest").get("list") is None


def test_the_least_recently_used_entries_go_first(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_queries, "KEEP", 3)
    kept = CompiledQueries(tmp_path, b"manifest")
    for n in range(3):
        kept.put(n, {"sql": f"SELECT {n}"})
        os.utime(next(p for p in tmp_path.glob("*.json") if f"SELECT {n}" in p.read_text()), (n, n))
    assert kept.get(0) == {"sql": "SELECT 0"}  # used: now the most recent
    kept.put(3, {"sql": "SELECT 3"})
    assert [kept.get(n) is not None for n in range(4)] == [True, False, True, True]
