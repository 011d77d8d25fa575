"""One run of the pipeline, as `serafin run`, `validate` and `demo` start it.

A run is atomic and single:
- it checks what can be checked before anything is built (the parameter files, the landing folder,
  the pseudonymisation key, a writable folder beside the warehouse) and stops with one sentence;
- it holds a lock beside the warehouse (`<warehouse>.lock`): a second run on the same warehouse is
  refused at once with the other run's process id and start time;
- it builds a new warehouse in `.<name>.build/` beside the current one (same file name, since dbt's
  views name their catalog after it), starting from the current warehouse's ingestion bookkeeping so
  unchanged landing files are not read again (their Parquet row files are shared), runs Dagster in
  process (landing → dbt build → reports), and only when every step succeeded replaces the warehouse
  file with the new one (one rename). A run that fails or is killed at any point leaves the last good
  warehouse complete and unchanged; the build folder is removed (or by the next run, if killed);
- dbt runs as `serafin-dbt`, which ends with its parent, and keeps its working files in the build
  folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import settings

VALIDATION_GROUPS = ["landing", "nomenclatures", "staging", "validation", "core", "audit"]
GATE_TEST = "assert_costs_reconcile_to_ledger"  # its failing rows carry the one-line reason (`message`)


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
        from pipelines.ingestion.landing import raw_folder

        return raw_folder(self.warehouse)

    @property
    def lock(self) -> Path:
        return self.warehouse.with_name(self.warehouse.name + ".lock")


@dataclass
class RunOutcome:
    success: bool
    reason: str = ""
    result: object = None  # Dagster's ExecuteInProcessResult
    instance: object = None
    definitions: object = None
    timings: dict[str, float] = field(default_factory=dict)  # wall-clock marks: swap_start, swap_end


def preflight(paths: RunPaths) -> None:
    """Everything that can be wrong before a single file is read, as one sentence."""
    from pipelines import comptabilite, cooperation, cpom, scenarios
    from pipelines.ingestion.pseudonym import KeyProblem, load_key
    from pipelines.parameters import check_parameters, summary

    if paths.engine == "spark":
        from pipelines import spark_engine

        missing = spark_engine.available()
        if missing:
            raise RunFailed(missing)
    problems = check_parameters()
    if problems:
        details = "".join(f"\n  - {p}" for p in problems) if len(problems) > 1 else ""
        raise RunFailed(summary(problems) + details)
    if not paths.landing.is_dir():
        what = "is not a folder" if paths.landing.exists() else "does not exist"
        raise RunFailed(f"the landing folder {paths.landing} {what}: give the folder that holds the exports "
                        "with --landing")
    try:
        load_key()
    except KeyProblem as exc:
        raise RunFailed(str(exc)) from None
    try:
        cooperation.load(paths.landing)
    except cooperation.CooperationProblem as exc:
        raise RunFailed(str(exc)) from None
    try:
        comptabilite.load(paths.landing)
    except comptabilite.ComptabiliteProblem as exc:
        raise RunFailed(str(exc)) from None
    try:
        loaded = scenarios.load(paths.landing)
    except scenarios.ScenarioProblem as exc:
        raise RunFailed(str(exc)) from None
    try:
        cpom.load(paths.landing, [s.name for _, s in loaded])
    except cpom.CpomProblem as exc:
        raise RunFailed(str(exc)) from None
    folder = paths.warehouse.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFailed(f"cannot create the warehouse folder {folder} ({exc.strerror}): choose another "
                        "--warehouse") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RunFailed(f"the warehouse folder {folder} is not writable (a run builds the new warehouse beside "
                        "the current one): make it writable or choose another --warehouse")


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


def execute(landing: Path, warehouse: Path, reports: Path, *, validate_only: bool = False,
            years: list[int] | None = None, verbose: bool = False, engine: str = "duckdb",
            data_tests: bool = True) -> RunOutcome:
    """The whole run; never raises for a failure a user can act on (the outcome's reason says it)."""
    paths = RunPaths(Path(landing).resolve(), Path(warehouse).resolve(), Path(reports).resolve(), engine)
    try:
        preflight(paths)
        with warehouse_lock(paths):
            return _build_and_swap(paths, validate_only=validate_only, years=years, verbose=verbose,
                                   data_tests=data_tests)
    except RunFailed as exc:
        return RunOutcome(False, str(exc))


def _build_and_swap(paths: RunPaths, *, validate_only: bool, years: list[int] | None, verbose: bool,
                    data_tests: bool = True) -> RunOutcome:
    import duckdb

    from pipelines.ingestion.landing import carry_over, collect_garbage

    shutil.rmtree(paths.build_dir, ignore_errors=True)  # what a killed run left
    paths.build_dir.mkdir()
    try:
        try:
            if validate_only or not _start_from_copy(paths):
                with duckdb.connect(str(paths.build_warehouse), config=settings.duckdb_config()) as con:
                    carry_over(con, paths.warehouse)
        except duckdb.IOException as exc:
            raise RunFailed(f"the warehouse {paths.warehouse} cannot be read ({_first_line(exc)}): close the "
                            "program that holds it open, then run again") from None
        result, instance, defs = run_job(paths, validate_only=validate_only, years=years, verbose=verbose,
                                         data_tests=data_tests)
        if not result.success:
            log = paths.build_dir / "dbt" / "dbt.log"
            kept = None
            if log.exists():  # the build folder goes; dbt's log of the failed build stays beside the warehouse
                kept = _failed_dbt_log(paths)
                shutil.copyfile(log, kept)
            return RunOutcome(False, failure_reason(result, paths.build_warehouse, kept), result, instance, defs)
        swap_start = time.time()
        swap(paths)
        _failed_dbt_log(paths).unlink(missing_ok=True)  # an earlier failure's, now stale
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            collect_garbage(con, paths.raw)
        return RunOutcome(True, "", result, instance, defs, {"swap_start": swap_start, "swap_end": time.time()})
    finally:
        shutil.rmtree(paths.build_dir, ignore_errors=True)


def _failed_dbt_log(paths: RunPaths) -> Path:
    """Where dbt's log of the last failed build is kept: `FILE.failed-dbt.log` beside the warehouse."""
    return paths.warehouse.with_name(f"{paths.warehouse.name}.failed-dbt.log")


def _start_from_copy(paths: RunPaths) -> bool:
    """Copy the current warehouse as the start of the new one when its last build was made by this dbt project on
    DuckDB: dbt's incremental models then only add what is new (pipelines/incremental.py decides, once the
    landing files are known, whether the build is incremental or full). Otherwise the new warehouse starts
    empty, with only the ingestion bookkeeping carried over."""
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


def run_job(paths: RunPaths, *, validate_only: bool = False, years: list[int] | None = None,
            verbose: bool = False, instance=None, data_tests: bool = True):
    """The Dagster run itself, on the build warehouse: (ExecuteInProcessResult, instance, definitions).
    The instance keeps the event log (benchmarks/run.py reads each step's timestamps from it)."""
    from pipelines import data_quality
    from pipelines.dbt_child import Warm

    # while Dagster starts on one core, the processes of the steps to come import their libraries on the other: dbt
    # (pipelines/dbt_child.py) and the data-quality suite's GX (pipelines/data_quality.py)
    warm = Warm(paths.build_dir)
    if not validate_only:
        data_quality.prewarm()
    try:
        return _run_job(paths, validate_only=validate_only, years=years, verbose=verbose, instance=instance,
                        data_tests=data_tests, warm=warm)
    finally:
        data_quality.discard_prewarmed()
        for name in warm.environ():
            os.environ.pop(name, None)
        warm.stop()


def _run_job(paths: RunPaths, *, validate_only: bool, years: list[int] | None, verbose: bool, instance,
             data_tests: bool, warm):
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.defs.project import prepare_manifest

    settings.quiet_telemetry()
    prepare_manifest()
    # for the build's serafin-dbt (dagster-dbt passes it this process's environment)
    os.environ.update(warm.environ())
    defs = build_definitions(str(paths.landing), str(paths.build_warehouse), str(paths.reports),
                             raw=str(paths.raw), work=str(paths.build_dir), engine=paths.engine)
    selection = dg.AssetSelection.groups(*VALIDATION_GROUPS) if validate_only else dg.AssetSelection.all()
    run_config = {
        "ops": {"serafin_dbt": {"config": {"years": years or [], "quiet": not verbose, "data_tests": data_tests}}},
        # quiet: nothing from Dagster's console log; the run ends with one line (failure_reason)
        "loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}},
    }
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(selection.resolve(defs.resolve_asset_graph())))
    instance = instance or dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
    return result, instance, defs


def gate_reason(warehouse: Path) -> str | None:
    """The reconciliation gate's own one-line message, from the rows its dbt test stored (store_failures)."""
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(f"select message from audit.{GATE_TEST} order by finess_et, year").fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    more = f" (and {len(rows) - 1} more ESMS-years)" if len(rows) > 1 else ""
    return rows[0][0] + more


def dbt_failure(target: Path) -> str | None:
    """The first failing dbt node of the build (run_results.json of its target folder), as one line."""
    import json

    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):  # dbt wrote no results: it stopped before the end
        return _dbt_log_error(target)
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    if not failed:
        return None
    first = failed[0]
    parts = first["unique_id"].split(".")  # model.serafin.name, test.serafin.name.hash, unit_test.serafin.model.name
    kind, name = parts[0], parts[2] if parts[0] == "test" else parts[-1]
    message = " ".join((first.get("message") or first["status"]).split())[:300]
    more = f" (and {len(failed) - 1} more failing dbt nodes)" if len(failed) > 1 else ""
    return f"dbt {kind.replace('_', ' ')} {name} {first['status']}: {message}{more}"


def _dbt_log_error(target: Path) -> str | None:
    """The last error dbt logged (its JSON log, dbt.log), when it stopped before any node failed: a project or
    selection error, a crash."""
    import json

    last = None
    try:
        with (target / "dbt.log").open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if '"error"' not in line:
                    continue
                try:
                    info = json.loads(line).get("info", {})
                except ValueError:
                    continue
                if info.get("level") == "error" and info.get("msg"):
                    last = info["msg"]
    except OSError:
        return None
    return f"dbt stopped: {' '.join(last.split())[:300]}" if last else None


def failure_reason(result, warehouse: Path, kept_log: Path | None = None) -> str:
    """One line for a failed Dagster run: the gate's message, else the first failing dbt node, else the first
    failed step's error (a crash of dbt's process said as such). When dbt stopped without a failing node, the line
    ends with where its log is kept (`kept_log`: the build folder, which dbt's own message names, goes)."""
    gate = gate_reason(warehouse)
    if gate:
        return gate
    log_note = f"; dbt's log: {kept_log}" if kept_log else ""
    dbt = dbt_failure(warehouse.parent / "dbt")
    if dbt:
        return dbt + (log_note if dbt.startswith("dbt stopped") else "")
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "DagsterExecutionStepExecutionError" in error.cls_name:
                error = error.cause  # the user code's error, not Dagster's wrapper
            message = error.message.strip().splitlines()
            crash = dbt_crash(message, warehouse.parent / "dbt" / "dbt.log")
            if crash:
                return crash + log_note
            code = next((m.strip() for m in message if "exit code" in m), "")  # dbt's, when it ended abruptly
            return f"step {event.step_key} failed: {message[0] if message else 'unknown error'}" + (
                f" ({code})" if code and code not in message[:1] else "") + (
                log_note if event.step_key == "serafin_dbt" else "")
    return "the run failed (run again with -v to see each step)"


def dbt_crash(message: list[str], log: Path) -> str | None:
    """When dbt's process was killed by a signal (dagster-dbt's message: exit code `-11`): which signal, and the
    nodes dbt was running then (its JSON log: each NodeStart without its NodeFinished)."""
    import json
    import re
    import signal

    found = re.search(r"exit code `?-(\d+)", " ".join(message))
    if not found:
        return None
    number = int(found.group(1))
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    running: dict[str, None] = {}
    try:
        with log.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if '"NodeStart"' not in line and '"NodeFinished"' not in line:
                    continue
                try:
                    event = json.loads(line)
                    node = event["data"]["node_info"]["unique_id"].split(".")
                except (ValueError, KeyError, TypeError):
                    continue
                label = node[2] if node[0] == "test" else node[-1]
                if event.get("info", {}).get("name") == "NodeStart":
                    running[label] = None
                else:
                    running.pop(label, None)
    except OSError:
        pass
    where = f" while building {', '.join(running)}" if running else ""
    if name == "SIGKILL":  # the kernel's out-of-memory killer, or someone
        return (f"dbt's process was killed (SIGKILL){where}: out of memory, or stopped by hand; a lower "
                f"{settings.DUCKDB_MEMORY_ENV} leaves DuckDB less memory and more spilling")
    return f"dbt's process was killed by {name}{where}: a crash, not an error in the data (run again)"


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
