"""The Encounters of a FHIR file typed ahead of pass 2, beside other work (pass 2's `encounters.load_encounters` then
finds them typed): an NDJSON file's beside its index in pass 1 (`EarlyTyping`), a Bundle's part by part as it is
cut (`EarlyParts`)."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingestion.fhir.encounters import ENCOUNTERS
from pipelines.ingestion.fhir.stage import (
    copy_to,
    encounters_sqls,
    objects_sql,
    on_own_cursor,
    one_thread,
    part_encounters_sql,
    work_files,
)


class EarlyTyping:
    """The Encounters of a staged file typed (load_encounters' statements) on cursors of their own while pass 1 writes
    its index on the connection, DuckDB on one thread each (stage.one_thread): the index is then written beside the
    typing rather than before it, and pass 2 finds the Encounters typed. A statement that fails leaves them untyped:
    pass 2 types them again and meets the failure where it always did (the slow way, or the file rejected)."""

    def __init__(self, con, staged):
        self.con, self.staged = con, staged
        self.pool, self.futures, self.cursors, self.held = None, [], [], None

    def start(self) -> EarlyTyping:
        """The typing begun (on cursors of their own); `finish` waits for it."""
        if self.staged.typed_early:  # a Bundle's: typed as it was cut
            return self
        from concurrent.futures import ThreadPoolExecutor

        sqls = work_files(self.staged.encounters,
                          [ENCOUNTERS.replace('{entries}', sql) for sql in encounters_sqls(self.staged)])
        self.held = one_thread(self.con)
        self.held.__enter__()
        self.cursors = [self.con.cursor() for _ in sqls]  # made here: the connection is not used by two threads
        self.pool = ThreadPoolExecutor(len(sqls))
        self.futures = [self.pool.submit(cursor.execute, sql) for cursor, sql in zip(self.cursors, sqls, strict=True)]
        return self

    def finish(self, ok: bool = True) -> None:
        """The typing ended; the Encounters count as typed when it succeeded and `ok` (the work beside it did)."""
        if self.pool is None:
            return
        self.pool.shutdown(wait=True)
        for cursor in self.cursors:
            cursor.close()
        self.held.__exit__(None, None, None)
        self.pool = None
        self.staged.typed_early = ok and all(f.exception() is None for f in self.futures)


class EarlyParts:
    """A Bundle's parts read as they are cut (files.stage's `on_part`): while NumPy cuts the next part on one core,
    DuckDB writes this part's objects (stage.objects_sql) and types its Encounters (ENCOUNTERS) on a cursor of its
    own, to the work files pass 1 and pass 2 would write (`staged`: the file's Staged, its parts still unknown)."""

    def __init__(self, con, staged):
        self.con, self.staged = con, staged
        self.pool, self.futures, self.held = None, [], None

    def submit(self, k: int, path: Path, before: int) -> None:
        if self.pool is None:
            import shutil
            from concurrent.futures import ThreadPoolExecutor

            for folder in (self.staged.objects, self.staged.encounters):
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
            # DuckDB on one thread per statement while the parts are read (stage.one_thread), restored by wait()
            self.held = one_thread(self.con)
            self.held.__enter__()
            self.pool = ThreadPoolExecutor(2)  # beside the cutting, on the other core
        self.futures.append(self.pool.submit(self._read, k, (path, before)))

    def _read(self, k: int, part: tuple[Path, int]) -> None:
        on_own_cursor(self.con, copy_to(objects_sql(self.staged, part), self.staged.objects / f"{k}.parquet"),
                      copy_to(ENCOUNTERS.replace('{entries}', part_encounters_sql(True, part)),
                              self.staged.encounters / f"{k}.parquet"))

    def wait(self) -> BaseException | None:
        """Every part's work ended (none runs on after this); the first failure, if any."""
        if self.pool is None:
            return None
        self.pool.shutdown(wait=True)
        self.held.__exit__(None, None, None)
        return next((f.exception() for f in self.futures if f.exception() is not None), None)
