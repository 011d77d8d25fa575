"""The landing's store: one Parquet row file per landing file and table, named by the file, its content, the
pseudonymisation key and the ingestion version; the warehouse's bookkeeping of what it loaded (`raw.ingested_files`,
`raw.row_rejections`); the `raw.<table>` views over the listed row files; the hand-over of a last good warehouse's
bookkeeping to a new one; and the row files no warehouse lists any more. The loaders of each format
(pipelines/ingestion/load_*.py and fec_landing.py, called by landing.py) write through it."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingestion import dsn, fec, fhir, finess, sql_values
from pipelines.ingestion.schema import TABLES

INGEST_VERSION = "6"  # 2: rows stored as Parquet beside the warehouse; 3: row files by content, no line text;
# 4: ids built from a person id (stay, plan, event) carry its pseudonym; 5: professional ids pseudonymised; 6: every
# FHIR Organization with a FINESS gives an establishments row


@dataclass
class FileOutcome:
    file: str
    table: str
    status: str  # loaded, unchanged, rejected
    rows_read: int = 0
    message: str = ""


@dataclass
class LandingSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def per_table(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            t = out.setdefault(o.table, {"files": 0, "read": 0, "unchanged": 0, "rejected_files": 0})
            t["files"] += 1
            t["read"] += o.rows_read
            t["unchanged"] += o.status == "unchanged"
            t["rejected_files"] += o.status == "rejected"
        return out


def raw_ddl() -> list[str]:
    return [
        "create schema if not exists raw",
        "create table if not exists raw.ingested_files (file varchar primary key, source_table varchar, "
        "sha256 varchar, format varchar, encoding varchar, delimiter varchar, rows_read bigint, status varchar, "
        "message varchar, columns_dropped_personal varchar, columns_ignored varchar, key_fingerprint varchar, "
        "ingest_version varchar)",
        "create table if not exists raw.row_rejections (source_table varchar, file varchar, line bigint, "
        "column_name varchar, value varchar, reason varchar)",
    ]


def raw_folder(warehouse: Path) -> Path:
    """The folder of Parquet row files that belongs to a warehouse file (`w.duckdb` → `w.raw`)."""
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(warehouse.stem + ".raw")


def row_file(raw: Path, table: str, rel: str, sha: str, fingerprint: str) -> Path:
    key = hashlib.sha256("\x00".join((rel, sha, fingerprint, INGEST_VERSION)).encode("utf-8")).hexdigest()
    return raw / table / (key[:32] + ".parquet")


def listed_row_files(con: duckdb.DuckDBPyConnection, raw: Path) -> dict[str, list[Path]]:
    """The row files of the loaded files this warehouse lists, per table."""
    out: dict[str, list[Path]] = {}
    for rel, table, sha, fingerprint in con.execute(
            "select file, source_table, sha256, key_fingerprint from raw.ingested_files where status = 'loaded' "
            "order by file").fetchall():
        if table == fhir.SOURCE:  # a FHIR file: its index, and one row file per table it gave rows to
            out.setdefault("fhir_index", []).append(row_file(raw, "fhir_index", rel, sha, fingerprint))
            for target in (*fhir.TARGETS, "fhir_unmapped_events"):
                path = row_file(raw, target, rel, sha, fingerprint)
                if path.exists():
                    out.setdefault(target, []).append(path)
            continue
        if table == fec.SOURCE:  # a FEC or a trial balance: its ledger rows and its audit rows
            for target in ("ledger", *fec.RAW_TABLES):
                out.setdefault(target, []).append(row_file(raw, target, rel, sha, fingerprint))
            continue
        out.setdefault(table, []).append(row_file(raw, table, rel, sha, fingerprint))
    return out


def carry_over(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Start a new warehouse with the bookkeeping of the last good one, so unchanged landing files are
    not read again (their row files are shared)."""
    for statement in raw_ddl():
        con.execute(statement)
    if not Path(previous).exists():
        return
    con.execute("attach '" + str(previous).replace("'", "''") + "' as previous (read_only)")
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'previous' and schema_name = 'raw'"
        ).fetchall()}
        if {"ingested_files", "row_rejections"} <= tables:
            con.execute("insert into raw.ingested_files by name select * from previous.raw.ingested_files")
            con.execute("insert into raw.row_rejections by name select * from previous.raw.row_rejections")
    finally:
        con.execute("detach previous")


def collect_garbage(con: duckdb.DuckDBPyConnection, raw: Path) -> int:
    """Delete the row files the warehouse does not list (a changed or removed landing file's old rows,
    rows of a run that failed); returns how many went."""
    keep = {p for files in listed_row_files(con, raw).values() for p in files}
    removed = 0
    for table in [*TABLES, *finess.TABLES, *fhir.RAW_TABLES, *fec.RAW_TABLES, *dsn.TABLES]:
        for path in (raw / table).glob("*.parquet*"):
            if path not in keep:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def refresh_views(con: duckdb.DuckDBPyConnection, raw: Path) -> None:
    """raw.<table>: a view over the row files this warehouse lists (an empty typed view when none)."""
    listed = listed_row_files(con, raw)
    tables = {**{t.name: t.column_names for t in TABLES.values()}, **finess.TABLES, **fhir.RAW_TABLES,
              **fec.RAW_TABLES, **dsn.TABLES}
    for name, column_names in tables.items():
        files = ["'" + str(p).replace("'", "''") + "'" for p in listed.get(name, []) if p.exists()]
        if files:  # a row without a line is at its line's place (readers.LINE_BY_POSITION)
            body = (f"select {', '.join(column_names)}, _file, coalesce(_line, file_row_number + 2) as _line "
                    f"from read_parquet([{', '.join(files)}], file_row_number = true)")
        else:
            body = "select " + ", ".join(
                [f"cast(null as varchar) as {c}" for c in column_names]
                + ["cast(null as varchar) as _file", "cast(null as bigint) as _line"]) + " where 1 = 0"
        con.execute(f"create or replace view raw.{name} as {body}")


def forget(con: duckdb.DuckDBPyConnection, raw: Path, rel: str) -> None:
    """Forget a landing file in this warehouse (its row file stays for the last good warehouse)."""
    # a path never holds a NUL character: always a literal (sql_values)
    con.execute(f"delete from raw.row_rejections where file = {sql_values.literal(rel)}")
    con.execute(f"delete from raw.ingested_files where file = {sql_values.literal(rel)}")


@dataclass(frozen=True)
class IngestedFile:
    """One line of `raw.ingested_files` (its ingest_version is the running INGEST_VERSION): the file, its table,
    its content hash, the rows read, loaded or rejected and why, the key's fingerprint, then what was found
    reading it (format, encoding, delimiter, personal columns dropped, columns ignored)."""

    file: str
    table: str
    sha256: str
    rows_read: int
    status: str
    message: str
    key_fingerprint: str
    format: str = ""
    encoding: str = ""
    delimiter: str = ""
    dropped: str = ""
    ignored: str = ""


def record(con, line: IngestedFile) -> None:
    sql_values.insert(con, "raw.ingested_files", [(
        line.file, line.table, line.sha256, line.format, line.encoding, line.delimiter, line.rows_read, line.status,
        line.message, line.dropped, line.ignored, line.key_fingerprint, INGEST_VERSION)])


@contextlib.contextmanager
def transaction(con):
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
