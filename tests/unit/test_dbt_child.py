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
from pipelines.dbt_child import Warm


def _serafin_dbt(args: list[str], env: dict[str, str], cwd: Path, **kwargs) -> subprocess.Popen:
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
