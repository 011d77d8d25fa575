"""The build folder a run starts from (pipelines/warehouse.py): what a killed run left never stops the next one."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines import warehouse
from pipelines.warehouse import RunPaths, build_folder, fresh_folder


def _leftover(folder: Path) -> None:
    (folder / "dbt").mkdir(parents=True)
    (folder / "dbt" / "dbt.log").write_text("a killed run's log\n")
    (folder / "warehouse.duckdb").write_bytes(b"half a warehouse")


def test_a_killed_runs_build_folder_is_replaced_by_an_empty_one(tmp_path):
    paths = RunPaths(tmp_path / "landing", tmp_path / "warehouse.duckdb", tmp_path / "reports")
    _leftover(paths.build_dir)
    with build_folder(paths) as folder:
        assert folder == paths.build_dir and list(folder.iterdir()) == []
    assert not paths.build_dir.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_folder_a_dying_child_still_writes_into_does_not_stop_the_run(tmp_path, monkeypatch):
    """A child of the killed run (its dbt, its data-quality worker) may still write into the build folder while the
    next run starts: removing the folder in place then fails (CI saw `.warehouse.duckdb.build: File exists`).
    Simulated by a removal that leaves everything: the run still gets an empty folder, and the folder put aside goes
    with the next run."""
    folder = tmp_path / ".warehouse.duckdb.build"
    _leftover(folder)
    real = shutil.rmtree
    monkeypatch.setattr(warehouse.shutil, "rmtree", lambda path, ignore_errors=False: None)
    fresh_folder(folder)
    assert list(folder.iterdir()) == []
    aside = [p.name for p in tmp_path.iterdir() if p != folder]
    assert len(aside) == 1 and aside[0].startswith(".warehouse.duckdb.build.stale-"), aside
    monkeypatch.setattr(warehouse.shutil, "rmtree", real)
    fresh_folder(folder)
    assert [p.name for p in tmp_path.iterdir()] == [".warehouse.duckdb.build"]
    assert list(folder.iterdir()) == []
