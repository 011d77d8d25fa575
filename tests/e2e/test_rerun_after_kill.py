"""The same landing files give the same warehouse (issue 35): `serafin run` killed (SIGKILL, as `kill -9`) at three
points, then run again to its end, gives a warehouse equal table by table to a clean run's (the session's worked
example): every table of every schema, every column, `_batch` included (EXCEPT ALL both ways), but for the two
that say when (`audit.data_quality.checked_at`, `raw.build_state.built_at`). A difference names its columns.

The kill points are read off what the run leaves on disk, polled every 50 ms: the first row file of the ingestion
(`warehouse.raw/<table>/*.parquet`), then dbt's log naming the validation of activity (the first incremental model),
then the log naming a cost mart (the build half done). Each killed run starts again from nothing, as the last good
warehouse does not exist yet; the row files the killed runs left are those the re-run names again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, WORKED_EXAMPLE, own_environ

ROOT = ROOT


def _command(landing: Path, work: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "run", "--landing", str(landing),
            "--warehouse", str(work / "warehouse.duckdb"), "--reports", str(work / "reports")]


def _environ() -> dict[str, str]:
    env = own_environ()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _dbt_log_names(work: Path, node: str) -> bool:
    # dbt's log of the build (pipelines/failures.py reads it there); not a walk of the build folder, whose compiled
    # SQL dbt writes and removes while it is walked
    log = work / ".warehouse.duckdb.build" / "dbt" / "dbt.log"
    try:
        return node in log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False


KILL_POINTS = {
    "ingestion": lambda work: any((work / "warehouse.raw").glob("*/*.parquet")),
    "validation": lambda work: _dbt_log_names(work, "model.serafin.int_activity__checked"),
    "costs": lambda work: _dbt_log_names(work, "model.serafin.person_cost"),
}


def _run_killed(landing: Path, work: Path, point: str, timeout: float = 900) -> None:
    process = subprocess.Popen(_command(landing, work), cwd=ROOT, env=_environ(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    while not KILL_POINTS[point](work):
        if process.poll() is not None:
            pytest.fail(f"the run ended before the kill point {point}: {process.stderr.read().decode()[-500:]}")
        if time.monotonic() - started > timeout:
            process.kill()
            pytest.fail(f"the kill point {point} was not reached in {timeout} s")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    assert not (work / "warehouse.duckdb").exists(), "a killed run must not leave a warehouse in place"


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    rows = con.execute("select schema_name, table_name from duckdb_tables() where database_name = ? "
                       "order by all", [catalog]).fetchall()
    return {(schema, table): con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index", [catalog, schema, table]).fetchall() for schema, table in rows}


# the columns that say when, not what: the time the data-quality suite ran (pipelines/data_quality/) and the time
# the build was recorded (pipelines/incremental.py)
WHEN = {("audit", "data_quality"): {"checked_at"}, ("raw", "build_state"): {"built_at"}}


def compare(left: Path, right: Path) -> list[str]:
    """Every difference between two warehouses: a table in one only, other columns, rows in one and not the other."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")
    mine, theirs = _tables(con, "l"), _tables(con, "r")
    problems = [f"{'.'.join(t)} only in {'the re-run' if t in mine else 'the clean run'}"
                for t in sorted(set(mine) ^ set(theirs))]
    for table in sorted(set(mine) & set(theirs)):
        name = ".".join(table)
        if mine[table] != theirs[table]:
            problems.append(f"{name}: columns {mine[table]} against {theirs[table]}")
            continue
        kept = {c: f'"{c}"' for c, _ in mine[table] if c not in WHEN.get(table, ())}
        columns = ", ".join(kept.values())
        for a, b in (("l", "r"), ("r", "l")):
            extra = con.execute(f"select count(*) from (select {columns} from {a}.{name} except all "
                                f"select {columns} from {b}.{name})").fetchone()[0]
            if extra:
                differing = [c for c, e in kept.items() if con.execute(
                    f"select count(*) from (select {e} from {a}.{name} except all select {e} from {b}.{name})"
                ).fetchone()[0]]
                problems.append(f"{name}: {extra} row(s) of the {'re-run' if a == 'l' else 'clean run'} not in the "
                                f"other (columns: {', '.join(differing) or 'none alone'})")
    con.close()
    return problems


def test_a_run_killed_three_times_then_run_again_equals_a_clean_run(tmp_path, worked_example):
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    for point in KILL_POINTS:
        _run_killed(landing, tmp_path, point)
    # without the pages (`--no-reports`): they are written from the warehouse, read-only, and what is compared is
    # the warehouse, its data-quality results included
    done = subprocess.run([*_command(landing, tmp_path), "--no-reports"], check=False, cwd=ROOT, env=_environ(),
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-1000:]
    assert compare(tmp_path / "warehouse.duckdb", worked_example.path) == []
    # the killed runs' leftovers are gone: the row files are those the warehouse lists
    assert not list((tmp_path / "warehouse.raw").rglob("*.tmp"))


def test_the_comparison_sees_a_changed_figure_to_its_last_bit(tmp_path):
    """compare() on two small warehouses: the same figures are equal; 0.1 + 0.2 + 0.3 summed in the other order (its
    last bit apart), a figure changed in its ninth digit, a count changed by one and a row more are each found, with
    the columns whose values differ (a row more: each of its values is one more)."""
    def build(path: Path, total: float, persons: int, rows: int) -> Path:
        with duckdb.connect(str(path)) as con:
            con.execute("create schema marts")
            con.execute("create table marts.t (scope varchar, total double, persons integer)")
            con.executemany("insert into marts.t values (?, ?, ?)", [["S", total, persons]] * rows)
        return path

    clean = build(tmp_path / "clean.duckdb", 0.1 + 0.2 + 0.3, 4, 1)
    assert compare(build(tmp_path / "same.duckdb", 0.1 + 0.2 + 0.3, 4, 1), clean) == []
    assert 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1  # the last bits of a sum depend on its order
    for name, total, persons, column in (("order", 0.3 + 0.2 + 0.1, 4, "total"), ("digit", 0.6000000010, 4, "total"),
                                         ("count", 0.1 + 0.2 + 0.3, 5, "persons")):
        assert compare(build(tmp_path / f"{name}.duckdb", total, persons, 1), clean) == [
            f"marts.t: 1 row(s) of the re-run not in the other (columns: {column})",
            f"marts.t: 1 row(s) of the clean run not in the other (columns: {column})"], name
    assert compare(build(tmp_path / "more.duckdb", 0.1 + 0.2 + 0.3, 4, 2), clean) == [
        "marts.t: 1 row(s) of the re-run not in the other (columns: scope, total, persons)"]
