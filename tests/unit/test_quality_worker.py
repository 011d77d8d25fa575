"""The data-quality worker for many runs (pipelines/quality_worker.py, `Many`, the test suite's): each run's checks
in a process forked from one that imported Great Expectations once; a run's failure comes back as that process's
last error line, a run that ends before its data-quality step leaves nothing behind, and the worker stays for the
next run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipelines.quality_worker import MANY_ENV, Many, Worker, WorkerFailed


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_many_runs_checks_each_in_a_process_of_its_own(tmp_path, monkeypatch):
    many = Many(tmp_path)
    try:
        monkeypatch.setenv(MANY_ENV, str(many.path))
        deadline = time.monotonic() + 60
        while not many.path.exists() and time.monotonic() < deadline:  # bound before GX is imported
            time.sleep(0.05)
        not_a_warehouse = tmp_path / "warehouse.duckdb"
        not_a_warehouse.write_text("not a DuckDB file\n", encoding="utf-8")

        first = Worker()
        assert first.process is None and first.alive()  # no process of its own: the shared one takes it
        with pytest.raises(WorkerFailed) as failed:
            first.run(not_a_warehouse, tmp_path / "gx1")
        # the forked process's own last error line, from DuckDB, naming the file it could not open
        assert "warehouse.duckdb" in str(failed.value) and "Error" in str(failed.value)

        Worker().stop()  # a run that ended before its data-quality step

        third = Worker()
        with pytest.raises(WorkerFailed) as again:
            third.run(not_a_warehouse, tmp_path / "gx3")
        assert str(again.value) == str(failed.value)
        deadline = time.monotonic() + 10
        while _children(many.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert many.process.poll() is None and _children(many.process.pid) == []
    finally:
        many.stop()
    assert many.process.returncode is not None and not many.path.exists()


def test_without_many_a_run_starts_its_own_worker(monkeypatch, tmp_path):
    monkeypatch.delenv(MANY_ENV, raising=False)
    worker = Worker()
    try:
        assert worker.process is not None and worker.process.pid != os.getpid()
    finally:
        worker.stop()
    assert worker.process.returncode is not None
