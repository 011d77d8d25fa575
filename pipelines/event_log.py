"""The event log storage of a warehouse's Dagster instance: Dagster's SQLite storage (one database per run and an
index), with its connections kept open and its commits left to SQLite's write-ahead log.

Dagster's own SQLite storage opens, commits and closes a connection for every event: each commit waits for the disk,
and each close of a write-ahead-logged database copies its log back (a checkpoint). A run records about 1,300 events
(each dbt model's materialization, each test's check result), which made a run seconds slower than with an
in-memory instance. Here each database keeps one connection per process and commits with `synchronous=NORMAL`: the
disk is waited for at checkpoints only. A process that is killed loses nothing; a power cut may lose the last events
of the run it interrupted, never the database. The instance's settings (pipelines/dagster.yaml) name this class."""

from __future__ import annotations

import collections
import threading
from contextlib import contextmanager

import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

OPEN_SHARDS = 8  # databases kept open per process (the run being written and the index, with room to spare)


def _pragmas(connection, _record) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


class SerafinEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage with a kept connection per database (`OPEN_SHARDS` at most)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: collections.OrderedDict[str, sa.Engine] = collections.OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # ty: ignore[invalid-method-override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sa.Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = sa.create_engine(self.conn_string_for_shard(shard), pool_size=1, max_overflow=4,
                                          connect_args={"timeout": 15, "check_same_thread": False})
                sa.event.listen(engine, "connect", _pragmas)
            self._engines[shard] = engine  # the most recent last
            while len(self._engines) > OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()
