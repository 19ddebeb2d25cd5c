"""The dbt-duckdb plugin (profiles.yml) that gives every DuckDB session of a dbt invocation the
personal-data key as the session variable `pii_hash_key`, read at run time from the warehouse's
key file (or WAREHOUSE_HASH_KEY). The macro hash_pii (macros/pii.sql) reads the variable, so the
key never appears in compiled SQL, dbt's artifacts or its logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from config import hash_key_of

VARIABLE = "pii_hash_key"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        home = str(plugin_config.get("home") or "")
        # No home: parsing or linting, where nothing is hashed; hash_pii then fails on use.
        self._key = hash_key_of(Path(home)) if home else None

    def _set_key(self, con) -> None:
        if self._key is not None:
            # a bound parameter: the key is not part of any statement text
            con.execute(f"SET VARIABLE {VARIABLE} = ?", [self._key])

    def configure_connection(self, conn) -> None:
        self._set_key(conn)

    def configure_cursor(self, cursor) -> None:
        # a DuckDB cursor is a session of its own: variables do not carry over
        self._set_key(cursor)
