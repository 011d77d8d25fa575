"""Runs are atomic and single (issue 9): a run killed at any point leaves the last good warehouse whole and
unchanged, its dbt child ends with it, a second run on the same warehouse is refused at once, and every
failure reads as one sentence. `serafin run` is started as a real process and killed with SIGKILL."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import WORKED_EXAMPLE, Warehouse, own_environ

SALARIES = "690000013,2025,6411,Salaires,140000,"
# the first reconciliation figure of the worked example: charges in scope of ESMS 690000013 in 2025
IN_SCOPE = "select charges_in_scope from marts.cost_reconciliation where finess_et = '690000013' and year = 2025"


def _run(work: Path) -> tuple[bool, str]:
    from pipelines.cli import execute

    return execute(work / "landing", work / "w.duckdb", work / "reports")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dbt_children(marker: str) -> list[int]:
    """Process ids of serafin-dbt processes whose command line names `marker` (the run's warehouse)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\x00", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "serafin-dbt" in cmdline and marker in cmdline:
            found.append(int(entry.name))
    return found


def _start_run(work: Path, *options: str) -> subprocess.Popen:
    serafin = Path(sys.executable).with_name("serafin")
    return subprocess.Popen([str(serafin), "run", "--landing", str(work / "landing"), "--warehouse",
                             str(work / "w.duckdb"), "--reports", str(work / "reports"), *options],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=own_environ())


def _wait_for(process: subprocess.Popen, ready, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.02)


def _dbt_log_has(work: Path, text: str):
    log = work / ".w.duckdb.build" / "dbt" / "dbt.log"

    def ready() -> bool:
        try:
            return text in log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    return ready


def _last_run_steps(work: Path) -> set[str]:
    """The steps of the last run recorded in the warehouse's Dagster instance."""
    import dagster as dg

    from pipelines.instance import timings

    with dg.DagsterInstance.from_config(str(work / "w.dagster")) as instance:
        last = instance.get_runs(limit=1)[0]
        assert last.status == dg.DagsterRunStatus.SUCCESS
    return set(timings(work / "w.dagster", last.run_id).steps)


def _has_data_quality(warehouse: Path) -> bool:
    return Warehouse(warehouse).scalar("select count(*) from information_schema.tables "
                                       "where table_schema = 'audit' and table_name = 'data_quality'") == 1


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A warehouse built from the worked example by `serafin run --no-reports`, then a landing folder whose ledger
    changed: any run that completes now gives other figures."""
    from pipelines.cli import main

    work = tmp_path_factory.mktemp("atomic")
    shutil.copytree(WORKED_EXAMPLE, work / "landing")
    assert main(["run", "--landing", str(work / "landing"), "--warehouse", str(work / "w.duckdb"), "--reports",
                 str(work / "reports"), "--no-reports"]) == 0
    ledger = work / "landing" / "ledger.csv"
    text = ledger.read_text(encoding="utf-8")
    assert SALARIES in text
    ledger.write_text(text.replace(SALARIES, "690000013,2025,6411,Salaires,150000,"), encoding="utf-8")
    return work


def test_no_reports_builds_the_warehouse_and_its_checks_without_a_page(good):
    """`serafin run --no-reports`: the marts and the data-quality checks, no report step and no reports folder."""
    warehouse = Warehouse(good / "w.duckdb")
    assert round(warehouse.scalar(IN_SCOPE), 2) == 243000.00  # cost-method worked example, step 2
    assert warehouse.scalar("select count(*) from audit.data_quality") >= 17  # each check of the catalogue
    assert not (good / "reports").exists()
    assert _last_run_steps(good) == {"landing_files", "serafin_dbt", "audit__data_quality"}


def test_killed_runs_leave_the_last_good_warehouse(good):
    """Killed at three points, a run leaves the last good warehouse as it was; the next run clears what they left and
    builds the new figures, and a second run started beside it is refused at once and leaves it going. That run is
    `--warehouse-only`: the new marts, neither the pages nor the checks, and the last warehouse's check results,
    which its copy carried, gone with them."""
    warehouse = good / "w.duckdb"
    before = _sha(warehouse)
    figure = Warehouse(warehouse).scalar(IN_SCOPE)
    assert round(figure, 2) == 243000.00  # cost-method worked example, step 2
    dbt_started = _dbt_log_has(good, "START sql view model staging.stg_landing__activity")
    points = [
        ("during ingestion", lambda: (good / ".w.duckdb.build" / "w.duckdb").exists()),
        ("at the start of the dbt build", dbt_started),
        ("while the cost marts are built", _dbt_log_has(good, "START sql table model marts.cost_reconciliation")),
    ]
    for what, ready in points:
        process = _start_run(good)
        _wait_for(process, ready, what)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        # its dbt child notices and ends by itself within a second or so
        deadline = time.monotonic() + 10
        while _dbt_children(str(good)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _dbt_children(str(good)) == [], f"dbt still running after a kill {what}"
        assert _sha(warehouse) == before, f"warehouse changed by a run killed {what}"
        assert Warehouse(warehouse).scalar(IN_SCOPE) == figure
    assert _has_data_quality(warehouse)
    process = _start_run(good, "--warehouse-only")
    try:
        # the run holds the warehouse (the killed runs' dbt log is still there until it clears their build folder)
        lock = good / "w.duckdb.lock"
        _wait_for(process, lambda: lock.read_text().split()[:1] == [str(process.pid)], "the warehouse lock")
        _wait_for(process, dbt_started, "the dbt build")
        started = time.monotonic()
        ok, reason = _run(good)
        assert time.monotonic() - started < 10  # refused, not queued behind the other run
        assert process.poll() is None  # the first run is still going
        assert not ok
        assert reason.count("\n") == 0
        assert f"the warehouse {warehouse} is in use by another serafin run (process {process.pid}, " \
               f"started {time.strftime('%Y-%m-%d')}" in reason
    finally:
        process.wait(timeout=300)
    assert process.returncode == 0, process.stderr.read().decode()[-2000:]
    assert round(Warehouse(warehouse).scalar(IN_SCOPE), 2) == 253000.00  # salaries 10,000 higher
    assert not (good / ".w.duckdb.build").exists()
    assert not _has_data_quality(warehouse) and not (good / "reports").exists()
    assert _last_run_steps(good) == {"landing_files", "serafin_dbt"}
    raw_files = sorted(p.name for p in (good / "w.raw" / "ledger").iterdir())
    assert len(raw_files) == 1  # the changed ledger's old row file went after the swap


def _cli(capsys, *argv: str) -> tuple[int, str]:
    from pipelines.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().err.strip().splitlines()[-1]


@pytest.fixture
def key_file(monkeypatch, tmp_path):
    from pipelines.ingestion.pseudonym import KEY_ENV, KEY_FILE_ENV

    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    return path


def test_key_problems_stop_the_run_with_a_sentence(key_file, capsys, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    key_file.parent.mkdir()
    key_file.write_text("")
    code, line = _cli(capsys, "validate", "--landing", str(landing))
    assert code == 1
    assert line == (f"serafin validate failed: the pseudonymisation key in the key file {key_file} is empty: put a "
                    "random secret of at least 32 bytes there (or remove the file to have one created)")

    key_file.write_text("short-secret\n")
    code, line = _cli(capsys, "validate", "--landing", str(landing))
    assert code == 1 and f"the key file {key_file} is 12 bytes long, shorter than 32" in line

    key_file.unlink()
    key_file.mkdir()  # not a file that can be read (a mode 000 file is readable by root)
    code, line = _cli(capsys, "validate", "--landing", str(landing))
    assert code == 1 and line.startswith(f"serafin validate failed: the pseudonymisation key file {key_file} "
                                         "cannot be read (Is a directory)")


def test_a_key_folder_that_cannot_be_written(monkeypatch, capsys, tmp_path):
    from pipelines.ingestion.pseudonym import KEY_ENV, KEY_FILE_ENV

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, "/sys/serafin-test/pseudonym.key")  # sysfs: not writable, even by root
    shutil.copytree(WORKED_EXAMPLE, tmp_path / "landing")
    code, line = _cli(capsys, "validate", "--landing", str(tmp_path / "landing"))
    assert code == 1
    assert line.startswith("serafin validate failed: cannot create the pseudonymisation key file "
                           "/sys/serafin-test/pseudonym.key (")
    assert line.endswith("make /sys/serafin-test writable, or set SERAFIN_PSEUDONYM_KEY_FILE to a key file in a "
                         "writable folder (or SERAFIN_PSEUDONYM_KEY to the key itself)")


def test_a_missing_key_is_created_private(key_file):
    from pipelines.ingestion.pseudonym import load_key

    key = load_key()
    assert len(key) == 64 and key == key_file.read_bytes().strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o777 == 0o700
    assert load_key() == key  # and used as it is afterwards


def test_a_missing_landing_folder_is_one_sentence(capsys, tmp_path):
    code, line = _cli(capsys, "run", "--landing", str(tmp_path / "nowhere"), "--warehouse",
                      str(tmp_path / "w.duckdb"))
    assert code == 1
    assert line == (f"serafin run failed: the landing folder {tmp_path / 'nowhere'} does not exist: give the folder "
                    "that holds the exports with --landing")
    assert not (tmp_path / "w.duckdb").exists()


def test_a_dbt_failure_is_told_in_one_line(tmp_path):
    """The first failing node from run_results.json; when dbt stopped before writing it, its last logged error
    (dbt.log, JSON lines); nothing when dbt finished with no failure, or left neither."""
    import json

    from pipelines.failures import dbt_failure

    assert dbt_failure(tmp_path) is None
    (tmp_path / "dbt.log").write_text("\n".join([
        json.dumps({"info": {"level": "info", "msg": "Running with dbt=1.11.16"}}),
        "a line that is not JSON",
        json.dumps({"info": {"level": "error", "msg": "Encountered an error:\nRuntime Error\n  Database error: x"}}),
    ]) + "\n", encoding="utf-8")
    assert dbt_failure(tmp_path) == "dbt stopped: Encountered an error: Runtime Error Database error: x"
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.serafin.costs_a", "status": "success", "message": "OK"}]}), encoding="utf-8")
    assert dbt_failure(tmp_path) is None  # dbt finished and nothing failed: the failure is another step's
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.serafin.costs_a", "status": "success", "message": "OK"},
        {"unique_id": "test.serafin.not_null_staff_fte.abc", "status": "fail", "message": "Got 2 results"},
        {"unique_id": "model.serafin.int_actions", "status": "error", "message": "Out of Memory Error:  x"},
    ]}), encoding="utf-8")
    assert dbt_failure(tmp_path) == "dbt test not_null_staff_fte fail: Got 2 results (and 1 more failing dbt nodes)"


def test_a_crash_of_dbt_is_said_as_such(tmp_path):
    """dagster-dbt says only "exit code `-11`" and names a log in the build folder, which goes with the failed
    run: the line says which signal killed dbt and what it was building then (its JSON log's nodes started without
    their result: at info level, dbt.log's default here, each LogStartLine without its result line; at debug
    level, NodeStart without NodeFinished)."""
    import json

    from pipelines.failures import dbt_crash

    def event(name, unique_id, status=None, level="info"):
        node = {"unique_id": unique_id, **({"node_status": status} if status else {})}
        return json.dumps({"info": {"name": name, "level": level}, "data": {"node_info": node}})

    log, debug_log = tmp_path / "dbt.log", tmp_path / "debug-dbt.log"
    log.write_text("\n".join([
        event("LogStartLine", "model.serafin.stg_landing__activity", "started"),
        event("LogModelResult", "model.serafin.stg_landing__activity", "success"),
        event("LogStartLine", "model.serafin.int_activity__checked", "started"),
        event("LogStartLine", "test.serafin.not_null_staff_fte.abc", "started"),
        event("LogStartLine", "test.serafin.unique_staff_id.def", "started"),
        event("LogTestResult", "test.serafin.unique_staff_id.def", "fail"),
        "not JSON",
    ]) + "\n", encoding="utf-8")
    debug_log.write_text("\n".join([
        event("NodeStart", "model.serafin.stg_landing__activity", level="debug"),
        event("SQLQuery", "model.serafin.stg_landing__activity", "executing", "debug"),
        event("NodeFinished", "model.serafin.stg_landing__activity", "success", "debug"),
        event("NodeStart", "model.serafin.int_activity__checked", level="debug"),
        event("NodeStart", "test.serafin.not_null_staff_fte.abc", level="debug"),
    ]) + "\n", encoding="utf-8")
    message = ["dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command", "",
               "failed with exit code `-11`. Check the stdout in the Dagster compute logs"]
    for written in (log, debug_log):
        assert dbt_crash(message, written) == (
            "dbt's process was killed by SIGSEGV while building int_activity__checked, not_null_staff_fte: a crash, "
            "not an error in the data (run again)")
    message[2] = "failed with exit code `-9`."
    assert dbt_crash(message, tmp_path / "none.log") == (
        "dbt's process was killed (SIGKILL): out of memory, or stopped by hand; a lower SERAFIN_DUCKDB_MEMORY "
        "leaves DuckDB less memory and more spilling")
    message[2] = "failed with exit code `1`."
    assert dbt_crash(message, log) is None  # an error dbt reported itself: told from its results


def test_a_failed_step_is_told_in_one_line(tmp_path):
    """Without a gate message nor a failing dbt node, the first failed step's error: a crash of dbt named with its
    signal and where its log is kept; another step's first line, with dbt's exit code when its message has one."""
    from pipelines.failures import failure_reason

    warehouse, kept = tmp_path / "build" / "w.duckdb", tmp_path / "w.duckdb.failed-dbt.log"
    crash = ["dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command", "",
             "failed with exit code `-9`."]
    assert failure_reason([("serafin_dbt", crash)], warehouse, kept) == (
        "dbt's process was killed (SIGKILL): out of memory, or stopped by hand; a lower SERAFIN_DUCKDB_MEMORY leaves "
        f"DuckDB less memory and more spilling; dbt's log: {kept}")
    assert failure_reason([("reports", ["report pages failed: cost_report (boom)"]),
                           ("audit__data_quality", ["never reached"])], warehouse) == (
        "step reports failed: report pages failed: cost_report (boom)")
    assert failure_reason([], warehouse) == "the run failed (run again with -v to see each step)"
