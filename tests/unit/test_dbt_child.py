"""`serafin-dbt` started ahead (pipelines/dbt_child.py): the command dagster-dbt starts hands itself over to a warm
process, which runs it with the caller's own streams, directory and environment; the caller ends as dbt ended (exit
status or signal), and without a warm process it runs dbt itself."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from pipelines import settings
from pipelines.dbt_child import MANY_ENV, WARM_ENV, Warm


def _serafin_dbt(args: list[str], env: dict[str, str], cwd: Path, **kwargs) -> subprocess.Popen:
    env = {name: value for name, value in env.items() if name != MANY_ENV}  # not the test process's warm dbt
    return subprocess.Popen([settings.dbt_executable(), *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_a_warm_dbt_runs_the_command_with_the_callers_streams_and_status(tmp_path):
    cold = _serafin_dbt(["--version"], dict(os.environ), tmp_path)
    cold_out, _ = cold.communicate(timeout=60)
    warm = Warm(tmp_path)
    try:
        env = dict(os.environ, **warm.environ())
        deadline = time.monotonic() + 60
        while not warm.path.exists() and time.monotonic() < deadline:  # bound, dbt being imported
            time.sleep(0.05)
        assert warm.path.exists()
        handed = _serafin_dbt(["--version"], env, tmp_path)
        out, err = handed.communicate(timeout=60)
        assert handed.returncode == 0 == cold.returncode, err
        assert "Core:" in out and out == cold_out  # written by the warm process's child on the caller's stdout
        assert warm.process.wait(timeout=10) == 0  # one command per warm process, then it ends
        assert not warm.path.exists()
        # no warm process any more: the next serafin-dbt runs dbt itself, with the same outcome
        again = _serafin_dbt(["no-such-command"], env, tmp_path)
        again.communicate(timeout=60)
        assert again.returncode == 2  # click's usage error
    finally:
        warm.stop()


def test_the_caller_ends_as_the_warm_dbt_ended_even_by_a_signal(tmp_path):
    """dbt killed by a signal (a crash, the out-of-memory killer): the serafin-dbt dagster-dbt watches ends by the
    same signal, which pipelines/run.py names (`dbt_crash`)."""
    warm = Warm(tmp_path)
    try:
        env = dict(os.environ, **warm.environ(), DBT_LOG_PATH=str(tmp_path / "logs"))
        deadline = time.monotonic() + 60
        while not warm.path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        handed = _serafin_dbt(["parse", "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir",
                               str(settings.DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")], env,
                              tmp_path)
        deadline = time.monotonic() + 60
        while not _children(warm.process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        (child,) = _children(warm.process.pid)
        os.kill(child, signal.SIGSEGV)
        handed.communicate(timeout=60)
        assert handed.returncode == -signal.SIGSEGV
    finally:
        warm.stop()


def test_a_warm_dbt_for_many_commands_runs_each_in_a_process_of_its_own(tmp_path):
    """`Warm(many=True)` (the test suite's, dbt_child.MANY_ENV): every command handed over, two at once among them,
    runs with its caller's streams, directory and status, each in a process forked for it; the warm process itself
    runs none and stays, until the process that started it ends or stops it."""
    cold = _serafin_dbt(["--version"], dict(os.environ), tmp_path)
    cold_out, _ = cold.communicate(timeout=60)
    warm = Warm(tmp_path, many=True)
    try:
        env = dict(os.environ, **{MANY_ENV: str(warm.path)})
        env.pop(WARM_ENV, None)
        deadline = time.monotonic() + 60
        while not warm.path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        first = subprocess.Popen([settings.dbt_executable(), "--version"], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        second = subprocess.Popen([settings.dbt_executable(), "no-such-command"], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = first.communicate(timeout=60)
        second.communicate(timeout=60)
        assert first.returncode == 0, err
        assert "Core:" in out and out == cold_out
        assert second.returncode == 2  # click's usage error, from the process forked for it
        third = subprocess.Popen([settings.dbt_executable(), "--version"], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert third.communicate(timeout=60)[0] == cold_out and third.returncode == 0
        assert warm.process.poll() is None and warm.path.exists()  # still there for the next command
        assert _children(warm.process.pid) == []  # each command's processes gone with it
    finally:
        warm.stop()
    assert warm.process.returncode is not None


def test_dbt_builds_no_event_that_no_logger_writes_and_its_loggers_write_the_same(monkeypatch):
    """skip_events_no_logger_writes on dbt's own event manager and loggers: an event below every logger's level is
    not built (dbt's message of it never made), and each logger writes exactly what it wrote without it: a debug
    event when one logger is at debug level, a print at any level."""
    import io
    import json

    from dbt_common.events import event_manager
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.logger import LineFormat, LoggerConfig
    from dbt_common.events.types import Note, PrintEvent

    from pipelines.dbt_child import skip_events_no_logger_writes

    manager_class = event_manager.EventManager
    monkeypatch.setattr(manager_class, "fire_event", manager_class.fire_event)  # dbt's own back after the test
    built: list[str] = []
    make = event_manager.msg_from_base_event
    monkeypatch.setattr(event_manager, "msg_from_base_event",
                        lambda e, level=None: built.append(e.message()) or make(e, level=level))

    def fire(levels: tuple[EventLevel, ...]) -> list[list[str]]:
        manager, streams = manager_class(), []
        for k, level in enumerate(levels):
            streams.append(io.StringIO())
            manager.add_logger(LoggerConfig(name=f"log{k}", line_format=LineFormat.Json, level=level,
                                            output_stream=streams[-1]))
        manager.fire_event(Note(msg="each query's SQL"), level=EventLevel.DEBUG)
        manager.fire_event(Note(msg="1 of 3 START sql table model"))
        manager.fire_event(PrintEvent(msg="printed"))
        return [[json.loads(line)["info"]["msg"] for line in s.getvalue().splitlines()] for s in streams]

    cases = [(EventLevel.INFO, EventLevel.INFO), (EventLevel.INFO, EventLevel.DEBUG), (EventLevel.ERROR,)]
    before = [fire(levels) for levels in cases]
    assert len(built) == 9  # dbt builds every event it is given
    skip_events_no_logger_writes()
    skip_events_no_logger_writes()  # once only
    built.clear()
    after = [fire(levels) for levels in cases]
    assert after == before
    assert after[1] == [["1 of 3 START sql table model", "printed"],
                        ["each query's SQL", "1 of 3 START sql table model", "printed"]]
    assert after[2] == [["printed"]]  # a print goes through a logger at error level (dbt --quiet)
    # not built: the debug event where no logger is at debug level; the info one where the only logger is at error
    assert built == ["1 of 3 START sql table model", "printed",
                     "each query's SQL", "1 of 3 START sql table model", "printed",
                     "printed"]
