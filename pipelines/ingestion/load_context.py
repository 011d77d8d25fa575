"""What every loader of the landing shares (pipelines/ingestion/landing.py calls one loader per format:
load_delimited.py, load_finess.py, load_dsn.py, load_fhir.py, fec_landing.py): the run's context, the landing file
being loaded, a file quarantined whole, and the batched writer of row files built in Python."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingestion import sql_values, store
from pipelines.ingestion.persons_met import PersonsMet
from pipelines.ingestion.schema import ROW_FILE


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
        sql_values.insert(ctx.con, "raw.row_rejections", [(table, rel, None, None, None,
                                                            f"whole file rejected: {reason}")])
        store.record(ctx.con, store.IngestedFile(rel, table, sha, rows, "rejected", reason, ctx.fingerprint, **meta))
    return store.FileOutcome(rel, table, "rejected", rows, reason)


class Sink:
    """Rows of one table for one landing file, written to its Parquet row file (all text, as a CSV gives them, with
    the source file and line): batches appended as JSON lines to a work file beside it, which DuckDB writes as the
    row file at the end, so a file of a million events never sits whole in memory (and neither pyarrow nor pandas is
    needed: sql_values)."""

    BATCH = 50_000

    def __init__(self, con, path: Path, columns: list[str], rel: str):
        self.con, self.path, self.columns, self.rel = con, path, columns, rel
        self.lines = path.with_name(path.name + ".jsonl")
        self.buffer: list[dict] = []
        self.handle = None
        self.rows = 0

    def add(self, row: dict) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        import orjson

        if not self.buffer:
            return
        if self.handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = self.lines.open("wb")
        self.handle.write(b"".join(orjson.dumps(
            {**{c: None if r.get(c) is None else str(r[c]) for c in self.columns}, "_line": r["_line"]}) + b"\n"
            for r in self.buffer))
        self.rows += len(self.buffer)
        self.buffer = []

    def close(self) -> int:
        self.flush()
        names = ", ".join(f'"{c}"' for c in self.columns)
        if self.handle is None:
            select = ", ".join([*(f'cast(null as varchar) as "{c}"' for c in self.columns),
                                "cast(null as varchar) as _file", "cast(null as bigint) as _line"]) + " where false"
        else:
            self.handle.close()
            types = ", ".join([*(f"'{c}': 'VARCHAR'" for c in self.columns), "'_line': 'BIGINT'"])
            select = (f"{names}, {sql_values.literal(self.rel)} as _file, _line from read_json("
                      f"{sql_values.literal(str(self.lines))}, format = 'newline_delimited', columns = {{{types}}}, "
                      "maximum_object_size = 268435456)")
        try:
            self.con.execute(f"copy (select {select}) to {sql_values.literal(str(self.path))} ({ROW_FILE})")
        finally:
            self.lines.unlink(missing_ok=True)
        return self.rows

    def discard(self) -> None:
        """A sink given up (its file failed): its JSON lines closed and removed (a closed sink: nothing left)."""
        if self.handle is not None and not self.handle.closed:
            self.handle.close()
        self.lines.unlink(missing_ok=True)
