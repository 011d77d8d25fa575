"""The event log storage of a warehouse's Dagster instance: Dagster's SQLite storage (one database per run and an
index), with its connections kept open, its commits left to SQLite's write-ahead log, its schema looked at once, and
each event written in one transaction per database.

Dagster's own SQLite storage opens, commits and closes a connection for every event: each commit waits for the disk,
and each close of a write-ahead-logged database copies its log back (a checkpoint). A run records about 1,400 events
(each dbt model's materialization, each test's check result). For each of them Dagster also asks the database whether
a table, a column or a data migration exists (a new connection and a schema query each time), and builds the same
insert statement twice. Here:
- each database keeps one connection per process and commits with `synchronous=NORMAL`: the disk is waited for at
  checkpoints only. A process that is killed loses nothing; a power cut may lose the last events of the run it
  interrupted, never the database;
- what the schema has (tables, the asset table's columns, completed data migrations) is asked once per process: it
  only grows, by `dagster instance migrate`;
- an event is written in one transaction on the run's database and, when it is an asset, check or run-status event,
  one on the index (Dagster commits a check result's copy and its check row separately).
The instance's settings (pipelines/dagster.yaml) name this class."""

from __future__ import annotations

import collections
import threading
from contextlib import contextmanager

import sqlalchemy as sa
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS, EVENT_TYPE_TO_PIPELINE_RUN_STATUS
from dagster._core.storage.event_log.schema import AssetKeyTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

OPEN_SHARDS = 8  # databases kept open per process (the run being written and the index, with room to spare)
INSERT_EVENT = SqlEventLogStorageTable.insert()  # one statement, compiled once, for every event


def _pragmas(connection, _record) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


class SerafinEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage with a kept connection per database (`OPEN_SHARDS` at most), its schema
    looked at once per process and one transaction per event and database."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: collections.OrderedDict[str, sa.Engine] = collections.OrderedDict()
        self._engines_lock = threading.Lock()
        self._open = threading.local()  # the connection this thread holds on each database, while it holds it
        self._schema: set[str] = set()  # tables, "asset_keys.<column>" and "migration:<name>" known to be there
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
        held = getattr(self._open, "connections", None)
        if held is None:
            held = self._open.connections = {}
        if shard in held:  # inside this thread's transaction on the same database: part of it
            yield held[shard]
            return
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                held[shard] = conn
                try:
                    yield conn
                finally:
                    del held[shard]

    def store_event(self, event) -> None:
        """As Dagster's SQLite storage stores an event (the run's database, and a copy in the index for asset,
        check and run-status events), each database in one transaction."""
        row = self._event_to_row(event)
        with self.run_connection(event.run_id) as conn:
            conn.execute(INSERT_EVENT, row)
        kind = event.dagster_event_type if event.is_dagster_event else None
        if kind not in ASSET_EVENTS and kind not in ASSET_CHECK_EVENTS and kind not in EVENT_TYPE_TO_PIPELINE_RUN_STATUS:
            return
        with self.index_connection() as conn:
            event_id = conn.execute(INSERT_EVENT, row).inserted_primary_key[0]
            if kind in ASSET_EVENTS:
                self._store_asset_event_tags(conn, [event], [event_id])
                self._store_asset_event(conn, event, event_id)
            elif kind in ASSET_CHECK_EVENTS:
                self.store_asset_check_event(event, event_id)  # its index connection is this one

    # ------------------------------------------------------------ the schema, asked once per process

    def has_table(self, table_name: str) -> bool:
        if table_name not in self._schema:
            with self.index_connection() as conn:
                if conn.dialect.has_table(conn, table_name):
                    self._schema.add(table_name)
        return table_name in self._schema

    def has_asset_key_col(self, column_name: str) -> bool:
        if f"{AssetKeyTable.name}.{column_name}" in self._schema:
            return True
        return super().has_asset_key_col(column_name)

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        key = f"{AssetKeyTable.name}.{column_name}"
        if key not in self._schema:
            columns = [c.get("name") for c in sa.inspect(conn).get_columns(AssetKeyTable.name)]
            self._schema.update(f"{AssetKeyTable.name}.{name}" for name in columns)
        return key in self._schema

    def has_secondary_index(self, name: str) -> bool:
        key = f"migration:{name}"
        if key not in self._schema and super().has_secondary_index(name):
            self._schema.add(key)
        return key in self._schema

    def dispose(self) -> None:
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()

