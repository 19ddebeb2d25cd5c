"""Dagster's SQLite event log (one database per run plus an index), keeping its SQLAlchemy
engines and their connections for the life of the process, and committing without a flush to
disk per event.

Dagster's own SqliteEventLogStorage builds an engine for every event it writes or reads (and one
more to ask whether an index table exists) and disposes of it after: a tiny shop's daily run
writes ~600 events, and building engines and compiling the same INSERT again for each was about
a third of the run process's CPU (docs/performance.md). Opening a SQLite connection for each
event and flushing each commit to disk cost ~2.3 s more per 600 events; pooled connections with
`synchronous = NORMAL` commit them in ~0.1 s. The databases are in WAL mode (Dagster's), so
another process (the UI, `warehouse status`) sees every committed event as before, and an idle
pooled connection holds no lock. Files, layout and schema stay Dagster's. Configured in the
instance's dagster.yaml (orchestration/instance.py); tests/unit/test_event_storage.py fails if
Dagster renames what this replaces.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import QueuePool

# engines kept at once: the index and the runs being written or read (a UI reads many runs)
KEEP_ENGINES = 8


def _no_sync_per_commit(dbapi_connection, _record) -> None:
    # In WAL mode with synchronous = NORMAL a commit is not flushed to disk on its own (the WAL is,
    # at each checkpoint): a power cut can lose the last events of a run, never the database; a
    # crash of the process loses nothing.
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


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
                    poolclass=QueuePool,
                    pool_size=1,
                    max_overflow=4,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                event.listen(engine, "connect", _no_sync_per_commit)
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
