"""Tests that run no pipeline: pure functions, parsers, ingest and checks on hand-made files, CLI
commands that stop before a run. `pytest -m "not slow"` runs only these."""
