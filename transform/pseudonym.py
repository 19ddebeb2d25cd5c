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
        # the home: dbt's working directory (transform/launch.py) unless the profile names another
        self._home = Path(str(plugin_config.get("home") or "."))
        self._key: str | None = None

    def _set_key(self, con) -> None:
        # read on the first session, not when dbt loads the plugin: a parse opens none and must
        # not leave a key file where it runs
        if self._key is None:
            self._key = hash_key_of(self._home)
        # a bound parameter: the key is not part of any statement text
        con.execute(f"SET VARIABLE {VARIABLE} = ?", [self._key])

    def configure_connection(self, conn) -> None:
        self._set_key(conn)

    def configure_cursor(self, cursor) -> None:
        # a DuckDB cursor is a session of its own: variables do not carry over
        self._set_key(cursor)
