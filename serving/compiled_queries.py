"""The SQL MetricFlow compiled for metric requests, kept so that asking again costs a query, not
MetricFlow: importing it and building its semantic graph take ~1 s, the query itself milliseconds.

An entry is keyed by the semantic manifest's bytes, MetricFlow's version and the request; any
change to the project or the engine is another key, so an entry is never stale, only unused. The
entries hold SQL over the published marts' names and the metric list: no data, no personal data,
no key. At most `KEEP` entries are kept (the least recently used go first)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

KEEP = 256


class CompiledQueries:
    """A folder of compiled metric requests for one semantic manifest."""

    def __init__(self, folder: Path, manifest: bytes) -> None:
        self._folder = folder
        self._manifest = hashlib.sha256(manifest + version("dbt-metricflow").encode()).hexdigest()

    def _path(self, request: object) -> Path:
        key = hashlib.sha256(f"{self._manifest}:{json.dumps(request, sort_keys=True, default=str)}".encode())
        return self._folder / f"{key.hexdigest()[:32]}.json"

    def get(self, request: object) -> dict | None:
        path = self._path(request)
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):  # not compiled yet, or a file cut short: compile again
            return None
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:  # a home this user may read but not write
            pass
        return entry

    def put(self, request: object, entry: dict) -> None:
        """Keep `entry` (JSON) for `request`; never fails a query (a read-only home keeps nothing)."""
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self._folder, prefix=".incoming-")
            with os.fdopen(handle, "w") as out:
                json.dump(entry, out)
            os.replace(tmp, self._path(request))  # whole or absent, for a reader in another process
            self._prune()
        except OSError:
            return

    def _prune(self) -> None:
        entries = sorted(self._folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[KEEP:]:
            stale.unlink(missing_ok=True)
