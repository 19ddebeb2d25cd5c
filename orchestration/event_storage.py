"""Dagster's SQLite event log (one database per run plus an index), keeping its SQLAlchemy
engines for the life of the process.

Dagster's own SqliteEventLogStorage builds an engine for every event it writes or reads (and one
more to ask whether an index table exists) and disposes of it after: a tiny shop's daily run
writes ~600 events, and building engines and compiling the same INSERT again for each was about
a third of the run process's CPU (docs/performance.md). Connections are still opened and closed
for each use (NullPool), so another process (the UI) sees every write as before; files, layout
and schema stay Dagster's. Configured in the instance's dagster.yaml (orchestration/instance.py);
tests/unit/test_event_storage.py fails if Dagster renames what this replaces.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

# engines kept at once: the index and the runs being written or read (a UI reads many runs)
KEEP_ENGINES = 8


class WarehouseEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict = OrderedDict()  # before Dagster's __init__, which may connect
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> WarehouseEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
            self._engines[shard] = engine  # the most recently used last
            while len(self._engines) > KEEP_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # asked for each asset event (with an engine of its own); a table, once there, stays
        if table_name not in self._tables_present and super().has_table(table_name):
            self._tables_present.add(table_name)
        return table_name in self._tables_present

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()
