"""The landing-folder sensor's rules (pipelines/defs/automation.py), without Dagster running: what it sees of the
folder, and when a change starts a run (debounced)."""

from __future__ import annotations

import json
import os

from pipelines.defs.automation import debounce, landing_state


def test_the_folder_state_changes_with_a_file_added_changed_or_removed(tmp_path):
    (tmp_path / "activity").mkdir()
    (tmp_path / "activity" / "2025-01.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    first = landing_state(tmp_path)
    assert landing_state(tmp_path) == first  # nothing changed, nothing read
    (tmp_path / "activity" / "2025-02.csv").write_text("a;b\n3;4\n", encoding="utf-8")
    added = landing_state(tmp_path)
    assert added != first
    path = tmp_path / "activity" / "2025-02.csv"
    path.write_text("a;b\n3;5\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert landing_state(tmp_path) not in (first, added)
    path.unlink()
    assert landing_state(tmp_path) == first
    (tmp_path / ".~lock.2025-01.csv#").write_text("x", encoding="utf-8")  # an editor's lock file is not an export
    assert landing_state(tmp_path) == first
    assert landing_state(tmp_path / "missing") != first


def test_a_change_starts_one_run_once_the_folder_is_quiet():
    start, cursor = debounce(None, "A", now=1000.0, quiet=120)
    assert not start  # the first look records the folder as it is
    assert not debounce(cursor, "A", now=2000.0, quiet=120)[0]  # unchanged: no run, however long
    start, cursor = debounce(cursor, "B", now=2000.0, quiet=120)  # a file arrives
    assert not start
    start, cursor = debounce(cursor, "C", now=2060.0, quiet=120)  # another, 60 s later: still copying
    assert not start and json.loads(cursor)["since"] == 2060.0
    start, cursor = debounce(cursor, "C", now=2150.0, quiet=120)  # 90 s quiet
    assert not start
    start, cursor = debounce(cursor, "C", now=2180.0, quiet=120)  # 120 s quiet: one run
    assert start and json.loads(cursor)["done"] == "C"
    assert not debounce(cursor, "C", now=9000.0, quiet=120)[0]  # and only one


def test_a_folder_put_back_as_it_was_starts_no_run():
    _, cursor = debounce(None, "A", now=0.0, quiet=120)
    _, cursor = debounce(cursor, "B", now=10.0, quiet=120)
    start, cursor = debounce(cursor, "A", now=20.0, quiet=120)
    assert not start
    assert not debounce(cursor, "A", now=500.0, quiet=120)[0]
