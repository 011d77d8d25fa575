"""`serafin ui` and `serafin serve`: Dagster's webserver and its daemon (which runs the schedules, the sensors and the
runs launched from the UI) on the warehouse's instance (pipelines/instance.py), as two child processes of this one.

Each child leads a process group of its own, which holds what it starts (the code servers, the runs launched from
the UI and their dbt). SIGTERM or Ctrl-C on this process, or the end of either child, stops both groups: SIGTERM,
then SIGKILL after GRACE seconds, so nothing is left running within 10 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines import instance, settings

GRACE = 3.0  # seconds a child has to end after SIGTERM before SIGKILL


@dataclass(frozen=True)
class Served:
    landing: Path | None
    warehouse: Path
    reports: Path | None
    host: str = "127.0.0.1"
    port: int = 3000


def environment(served: Served) -> dict[str, str]:
    """The children's environment: the instance folder, the paths the definitions read, no telemetry."""
    settings.quiet_telemetry()
    env = {**os.environ, "DAGSTER_HOME": str(instance.prepare(instance.home(served.warehouse))),
           settings.WAREHOUSE_ENV: str(served.warehouse)}
    if served.landing:
        env[settings.LANDING_ENV] = str(served.landing)
    if served.reports:
        env[settings.REPORTS_ENV] = str(served.reports)
    return env


def commands(served: Served) -> list[list[str]]:
    """The webserver and the daemon, on the project's definitions."""
    bin_dir = Path(sys.executable).parent
    return [[str(bin_dir / "dagster-webserver"), "-m", "pipelines.definitions", "-h", served.host, "-p",
             str(served.port)],
            [str(bin_dir / "dagster-daemon"), "run", "-m", "pipelines.definitions"]]


def serve(served: Served) -> int:
    """Run the webserver and the daemon until a signal or until one of them ends: 0 after a signal, else the
    status of the child that ended."""
    env = environment(served)
    # dbt's manifest parsed in a process of its own: this one stays small (no Dagster imported), so that it ends at
    # once when its children have ended
    subprocess.run([sys.executable, "-c", "from pipelines.defs.project import prepare_manifest; prepare_manifest()"],
                   env=env, check=True)
    stopping: list[int] = []

    def on_signal(number, _frame):
        stopping.append(number)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    children: list[subprocess.Popen] = []
    try:
        for command in commands(served):
            children.append(subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.DEVNULL))
        print(f"Dagster UI: http://{served.host}:{served.port} (instance {env['DAGSTER_HOME']}); Ctrl-C stops it",
              file=sys.stderr, flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping:
        return 0
    return next((child.returncode for child in children if child.returncode), 0)


def stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to each child's process group, SIGKILL to what is left after GRACE seconds."""
    for child in children:
        _signal_group(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        _signal_group(child.pid, signal.SIGKILL)  # the group's other processes too (code servers, runs)
    for child in children:
        try:  # a process killed while it waits for the disk ends when the disk answers: not waited for longer
            child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(pgid: int, number: int) -> None:
    try:
        os.killpg(pgid, number)
    except (ProcessLookupError, PermissionError):
        pass
