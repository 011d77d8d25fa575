"""The Dagster instance of a warehouse: where its runs, their event logs (each step, each asset's materializations
with their metadata, each asset check's result) and the schedules' and sensors' state are kept.

One instance per warehouse, in SQLite files in a folder beside it (`w.duckdb` → `w.dagster/`), or in the folder
SERAFIN_DAGSTER_HOME names. `serafin run`, `serafin ui` and `serafin serve` use the same one, so the UI shows every
run of the warehouse. Its settings (pipelines/dagster.yaml) switch off telemetry and the UI's community dialog.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

HOME_ENV = "SERAFIN_DAGSTER_HOME"
SETTINGS = Path(__file__).with_name("dagster.yaml")
EVENT_LOG = """event_log_storage:  # Dagster's SQLite event log, faster (pipelines/event_log.py)
  module: pipelines.event_log
  class: SerafinEventLogStorage
  config:
    base_dir: {base_dir}
"""
# the event log's folder in a settings file written from EVENT_LOG (group 2: the quoted path)
_EVENT_LOG_FOLDER = re.compile(r"(class: SerafinEventLogStorage\n  config:\n    base_dir: )(\"(?:[^\"\\\\]|\\\\.)*\")")
PID_TAG = "serafin/pid"  # the process of an in-process run (`serafin run`), to tell a run that was killed


def home(warehouse: Path) -> Path:
    """The instance folder of a warehouse: SERAFIN_DAGSTER_HOME, else `<name>.dagster/` beside the warehouse file."""
    chosen = os.environ.get(HOME_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.stem}.dagster")


def prepare(folder: Path) -> Path:
    """The instance folder, created with the project's settings when it has none (an operator's edits are kept):
    pipelines/dagster.yaml, and the event log storage of pipelines/event_log.py in the folder's `history/runs/`.
    Dagster's settings file holds that folder as an absolute path: a warehouse folder moved or copied (a backup put
    back, a test's copy) has it pointed at its own folder again, or its runs' events would go to the old one."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    settings_file = folder / "dagster.yaml"
    storage = json.dumps(str(Path(folder).resolve() / "history" / "runs"))  # a quoted YAML string
    if not settings_file.exists():
        settings_file.write_text(SETTINGS.read_text(encoding="utf-8") + EVENT_LOG.format(base_dir=storage),
                                 encoding="utf-8")
        return folder
    text = settings_file.read_text(encoding="utf-8")
    ours = _EVENT_LOG_FOLDER.search(text)
    if ours is not None and ours.group(2) != storage:
        partial = settings_file.with_name(f"dagster.yaml.{os.getpid()}")
        partial.write_text(text[:ours.start(2)] + storage + text[ours.end(2):], encoding="utf-8")
        os.replace(partial, settings_file)
    return folder


def open_instance(folder: Path, *, capture_output: bool = True) -> dg.DagsterInstance:
    """The persistent instance kept in `folder` (prepared first). `capture_output` False: the run's standard output
    and error are not copied into the instance (`serafin run`, whose output is the terminal: Dagster would route it
    through files and two `tail` processes)."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from pipelines import settings

    settings.quiet_telemetry()
    overrides = {} if capture_output else {"compute_logs": {
        "module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}}
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(prepare(folder)), overrides=overrides))


def close_killed_runs(instance: dg.DagsterInstance) -> int:
    """Mark as failed the in-process runs whose process is gone (a `serafin run` killed), freeing what they held
    (the warehouse pool's slot): how many."""
    import dagster as dg

    closed = 0
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        pid = run.tags.get(PID_TAG)
        if pid is None or _alive(int(pid)):
            continue
        instance.report_run_failed(run, "the serafin process of this run ended before it did (killed)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        closed += 1
    return closed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- a run's timings, from its event log

@dataclass
class Timings:
    """When each step and each asset of one run happened (seconds since the epoch), from the instance's event log."""

    steps: dict[str, tuple[float, float | None]] = field(default_factory=dict)  # step key → (start, end)
    # (asset key "schema/name", step key, timestamp, dbt's own seconds or None, left unchanged by an incremental run)
    materializations: list[tuple[str, str, float, float | None, bool]] = field(default_factory=list)
    checks: list[tuple[str, str, float | None]] = field(default_factory=list)  # (check name, step key, dbt's seconds)


def timings(folder: Path, run_id: str) -> Timings:
    """The timings of run `run_id` in the instance kept in `folder`."""
    import dagster as dg

    out = Timings()
    with dg.DagsterInstance.from_config(str(folder)) as instance:
        for record in instance.get_records_for_run(run_id, limit=1_000_000).records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type
            if kind == dg.DagsterEventType.STEP_START:
                out.steps[event.step_key] = (entry.timestamp, None)
            elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                start = out.steps.get(event.step_key, (entry.timestamp, None))[0]
                out.steps[event.step_key] = (start, entry.timestamp)
            elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
                metadata = event.event_specific_data.materialization.metadata
                out.materializations.append(("/".join(event.asset_key.path), event.step_key, entry.timestamp,
                                             _seconds(metadata), "incremental" in metadata))
            elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                data = event.event_specific_data
                out.checks.append((data.check_name, event.step_key, _seconds(data.metadata)))
    return out


def _seconds(metadata) -> float | None:
    """dbt's execution time of one node, from the metadata dagster-dbt gives its event ("Execution Duration")."""
    duration = metadata.get("Execution Duration")
    return None if duration is None else float(getattr(duration, "value", duration))
