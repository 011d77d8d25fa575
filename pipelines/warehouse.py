"""The warehouse primitives every command that writes a warehouse uses: where a run's files go, the lock that keeps
runs single, and the build-and-swap that keeps them atomic.

- the lock beside the warehouse (`<warehouse>.lock`): a second run on the same warehouse is refused at once with the
  other run's process id and start time;
- a run builds a new warehouse in `.<name>.build/` beside the current one (same file name, since dbt's views name
  their catalog after it), starting from a copy of the current one or from its ingestion bookkeeping only, and
  replaces the warehouse file with the new one (one rename) only when every step succeeded. A run that fails or is
  killed at any point leaves the last good warehouse complete and unchanged; the build folder is removed (or by the
  next run, if killed).

Nothing here knows Dagster: pipelines/run.py (a whole run) and pipelines/scenarios.py (a scenario re-run) use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines import settings


class RunFailed(Exception):
    """A run cannot start or did not succeed; the message is one line saying what to do."""


@dataclass(frozen=True)
class RunPaths:
    landing: Path
    warehouse: Path
    reports: Path
    engine: str = "duckdb"  # who builds the dbt project (pipelines/spark_engine.py for "spark")

    @property
    def build_dir(self) -> Path:
        return self.warehouse.with_name(f".{self.warehouse.name}.build")

    @property
    def build_warehouse(self) -> Path:
        return self.build_dir / self.warehouse.name

    @property
    def raw(self) -> Path:
        from pipelines.ingestion.store import raw_folder

        return raw_folder(self.warehouse)

    @property
    def lock(self) -> Path:
        return self.warehouse.with_name(self.warehouse.name + ".lock")

    @property
    def failed_dbt_log(self) -> Path:
        """Where dbt's log of the last failed build is kept: `FILE.failed-dbt.log` beside the warehouse."""
        return self.warehouse.with_name(f"{self.warehouse.name}.failed-dbt.log")


@contextlib.contextmanager
def warehouse_lock(paths: RunPaths):
    """Hold `<warehouse>.lock` for the run; refuse at once when another run holds it. The lock is the
    kernel's (flock): it goes with the process, even one that was killed."""
    handle = paths.lock.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().split()
            pid, started = ([*holder, "?", "?"])[:2]
            raise RunFailed(f"the warehouse {paths.warehouse} is in use by another serafin run (process {pid}, "
                            f"started {started.replace('T', ' ')}): wait for it to end, or give another "
                            "--warehouse") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock; the file stays (removing it would race with a waiting run)


@contextlib.contextmanager
def build_folder(paths: RunPaths):
    """The run's build folder, empty at the start (what a killed run left goes) and removed at the end."""
    fresh_folder(paths.build_dir)
    try:
        yield paths.build_dir
    finally:
        shutil.rmtree(paths.build_dir, ignore_errors=True)


def fresh_folder(folder: Path) -> None:
    """`folder` made empty: what a killed run left is first renamed aside (one rename, whatever a dying child of
    that run still writes into it: removing it in place could fail with the folder not empty), then removed, with
    any folder an earlier run left aside."""
    if folder.exists():
        os.rename(folder, folder.with_name(f"{folder.name}.stale-{os.getpid()}-{time.time_ns()}"))
    for stale in folder.parent.glob(f"{folder.name}.stale-*"):
        shutil.rmtree(stale, ignore_errors=True)
    folder.mkdir()


def start_build(paths: RunPaths, *, from_copy: bool) -> None:
    """The new warehouse's first state: a copy of the current one when `from_copy` and its last build was made by
    this dbt project on DuckDB (dbt's incremental models then only add what is new; pipelines/incremental.py
    decides, once the landing files are known, whether the build is incremental or full), else an empty file with
    only the ingestion bookkeeping carried over (unchanged landing files are not read again)."""
    import duckdb

    from pipelines.ingestion.store import carry_over

    try:
        if from_copy and _copy_current(paths):
            return
        with duckdb.connect(str(paths.build_warehouse), config=settings.duckdb_config()) as con:
            carry_over(con, paths.warehouse)
    except duckdb.IOException as exc:
        raise RunFailed(f"the warehouse {paths.warehouse} cannot be read ({first_line(exc)}): close the "
                        "program that holds it open, then run again") from None


def _copy_current(paths: RunPaths) -> bool:
    import duckdb

    from pipelines import incremental

    if paths.engine != "duckdb" or not paths.warehouse.exists():
        return False
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        if incremental.last_project(con) != incremental.project_digest():
            return False
    shutil.copyfile(paths.warehouse, paths.build_warehouse)
    return True


def swap(paths: RunPaths) -> None:
    """Put the new warehouse in place of the old one: one rename, atomic on one file system. A write-ahead
    log of the old file would be replayed into the new one, so it goes first (a cleanly closed
    warehouse has none)."""
    Path(str(paths.warehouse) + ".wal").unlink(missing_ok=True)
    os.replace(paths.build_warehouse, paths.warehouse)


def finish_build(paths: RunPaths) -> None:
    """The build succeeded: swap it in, forget an earlier failure's dbt log, delete the row files no longer
    listed."""
    import duckdb

    from pipelines.ingestion.store import collect_garbage

    swap(paths)
    paths.failed_dbt_log.unlink(missing_ok=True)  # an earlier failure's, now stale
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        collect_garbage(con, paths.raw)


def keep_dbt_log(paths: RunPaths) -> Path | None:
    """The build failed: dbt's log of it copied beside the warehouse (the build folder goes), or None."""
    log = paths.build_dir / "dbt" / "dbt.log"
    if not log.exists():
        return None
    shutil.copyfile(log, paths.failed_dbt_log)
    return paths.failed_dbt_log


def first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
