"""What starts a refresh of the warehouse without anyone at the keyboard, both declared here and off by default
(switched on in the UI, Automation page, under `serafin serve`, whose daemon runs them):

- `monthly_refresh`, a schedule: the 2nd of each month at 06:00 (Europe/Paris), after the month's exports;
- `landing_folder`, a sensor: new, changed or removed landing files start a refresh once the folder has stayed the
  same for QUIET seconds (an export being copied file by file starts one run, not one per file).

A refresh is `serafin run` on the landing folder and warehouse of the UI (SERAFIN_LANDING, SERAFIN_WAREHOUSE): the
atomic run, under the warehouse's lock, recorded as its own run in the same instance; the refresh's run says how it
ended in one line."""

import json
import os
import time
from pathlib import Path

import dagster as dg

from pipelines.defs.resources import SerafinPaths

QUIET_ENV = "SERAFIN_SENSOR_QUIET_SECONDS"
QUIET = 120.0  # seconds the landing folder must stay unchanged before a run starts


def landing_state(landing: Path) -> str:
    """A digest of the landing folder's files as the file system shows them (path, size, modification time): it
    changes when a file is added, changed or removed. Nothing is read from the files."""
    import hashlib

    digest = hashlib.sha256()
    if landing.is_dir():
        for path in sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")):
            stat = path.stat()
            digest.update(f"{path.relative_to(landing)}\x00{stat.st_size}\x00{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def debounce(cursor: str | None, state: str, now: float, quiet: float) -> tuple[bool, str]:
    """(start a run?, the new cursor). The cursor keeps the state last run (`done`), the state last seen (`seen`) and
    since when it is the same (`since`). The first look records the folder as it is (no run); afterwards a state other
    than the last run's starts a run when it has not changed for `quiet` seconds."""
    if not cursor:
        return False, json.dumps({"done": state, "seen": state, "since": now})
    last = json.loads(cursor)
    since = last["since"] if state == last["seen"] else now
    if state != last["done"] and now - since >= quiet:
        return True, json.dumps({"done": state, "seen": state, "since": since})
    return False, json.dumps({"done": last["done"], "seen": state, "since": since})


@dg.op(description="serafin run on the landing folder and warehouse of this UI: atomic, under the warehouse's lock")
def serafin_run(context: dg.OpExecutionContext, paths: SerafinPaths) -> None:
    import subprocess
    import sys

    serafin = Path(sys.executable).with_name("serafin")
    command = [str(serafin), "run", "--landing", paths.landing, "--warehouse", paths.warehouse, "--reports",
               paths.reports]
    context.log.info("starting: " + " ".join(command))
    done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          encoding="utf-8", errors="replace", env=os.environ.copy())
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode != 0:
        raise dg.Failure(description=lines[-1] if lines else f"serafin run ended with status {done.returncode}")
    context.log.info("serafin run succeeded: the warehouse was replaced by the new build")


@dg.job(description="Refresh the warehouse from the landing folder (serafin run), as the schedule and the sensor do")
def refresh_warehouse():
    serafin_run()


monthly_refresh = dg.ScheduleDefinition(
    name="monthly_refresh", job=refresh_warehouse, cron_schedule="0 6 2 * *", execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="The 2nd of each month at 06:00: the warehouse refreshed from the landing folder (off by default)")


@dg.sensor(job=refresh_warehouse, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="New, changed or removed landing files start a refresh once the folder is quiet (off by default)")
def landing_folder(context: dg.SensorEvaluationContext, paths: SerafinPaths):
    quiet = float(os.environ.get(QUIET_ENV, QUIET))
    start, cursor = debounce(context.cursor, landing_state(Path(paths.landing)), time.time(), quiet)
    context.update_cursor(cursor)
    if start:
        yield dg.RunRequest(run_key=json.loads(cursor)["done"])
    else:
        yield dg.SkipReason("the landing folder is as it was at the last refresh, or still changing")
