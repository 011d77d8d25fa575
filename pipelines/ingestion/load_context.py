"""What every loader of the landing shares (pipelines/ingestion/landing.py calls one loader per format:
load_delimited.py, load_finess.py, load_dsn.py, load_fhir.py, fec_landing.py): the run's context, the landing file
being loaded, a file quarantined whole, and the batched writer of row files built in Python."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingestion import store
from pipelines.ingestion.persons_met import PersonsMet


@dataclass(frozen=True)
class LoadContext:
    """One landing run: the new warehouse's connection, its folder of row files, the pseudonym key and its
    fingerprint (which name the row files), the run's work folder (deleted at its end) and the persons met so far."""

    con: duckdb.DuckDBPyConnection
    raw: Path
    key: bytes
    fingerprint: str
    workdir: Path
    met: PersonsMet


@dataclass(frozen=True)
class LandingFile:
    """A landing file to load: its place in the run (`number` names its work files), the table (or source) it gives
    rows to, its path, its path relative to the landing folder, and its sha256, being computed in another thread."""

    number: int
    table: str
    path: Path
    rel: str
    digest: Future

    @property
    def sha(self) -> str:
        """The file's sha256 (waits for it)."""
        return self.digest.result()

    @property
    def work_name(self) -> str:
        """The name of the file's temporary table and of its work files (`<name>.utf8.csv`...)."""
        return f"__landing_{self.number}"


def quarantine_whole(ctx: LoadContext, table: str, rel: str, sha: str, reason: str, rows: int = 0,
                     **meta: str) -> store.FileOutcome:
    """A file rejected whole, in one transaction: its old rows forgotten, one row of `raw.row_rejections` with the
    sentence that says why, its line of `raw.ingested_files` (`meta`: format, encoding... as `store.IngestedFile` takes
    them). The caller logs it."""
    with store.transaction(ctx.con):
        store.forget(ctx.con, ctx.raw, rel)
        ctx.con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                        [table, rel, f"whole file rejected: {reason}"])
        store.record(ctx.con, store.IngestedFile(rel, table, sha, rows, "rejected", reason, ctx.fingerprint, **meta))
    return store.FileOutcome(rel, table, "rejected", rows, reason)


class Sink:
    """Rows of one table for one landing file, written to its Parquet row file in batches (all text, as a CSV
    gives them, with the source file and line), so a file of a million events never sits whole in memory."""

    BATCH = 50_000

    def __init__(self, path: Path, columns: list[str], rel: str):
        self.path, self.columns, self.rel = path, columns, rel
        self.buffer: list[dict] = []
        self.writer = None
        self.rows = 0

    def add(self, row: dict) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.buffer and self.writer is not None:
            return
        schema = pa.schema([(c, pa.string()) for c in self.columns] + [("_file", pa.string()), ("_line", pa.int64())])
        data = {c: [None if r.get(c) is None else str(r[c]) for r in self.buffer] for c in self.columns}
        data["_file"] = [self.rel] * len(self.buffer)
        data["_line"] = [r["_line"] for r in self.buffer]
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(str(self.path), schema, compression="none")
        self.writer.write_table(pa.table(data, schema=schema))
        self.rows += len(self.buffer)
        self.buffer = []

    def close(self) -> int:
        self.flush()
        if self.writer is not None:
            self.writer.close()
        return self.rows
