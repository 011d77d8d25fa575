"""The data-quality checks (pipelines/data_quality/) run by a Python process of its own, so that its import of Great
Expectations (about 3.5 s of CPU) can start ahead of the step that needs it, on the CPU the run leaves idle. The
process ends with the run's (pipelines/children.py). Who starts it and when: pipelines/prewarm.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from pipelines import data_quality as suites


class WorkerFailed(Exception):
    """The data-quality process ended without its outcomes; the message is its last error line."""


class Worker:
    """The suite run by a Python process of its own (`python -m pipelines.quality_worker RUN_PID`): it imports GX
    as soon as it starts (about 3.5 s of CPU) in a thread of lower CPU priority, then waits for the warehouse to
    check, runs `run` on it and writes the outcomes as JSON. A run starts one ahead (pipelines/prewarm.py): the import uses
    what CPU the run leaves idle before the data-quality step. Imported in the run's own process while dbt built,
    GX took those seconds from dbt, which keeps both cores busy (a month added: 2 to 3 s longer). The process
    ends with the run's (pipelines/children.py)."""

    def __init__(self) -> None:
        import tempfile

        self._stderr = tempfile.TemporaryFile()  # a pipe nobody reads until the end could fill up and block it
        self.process = subprocess.Popen([sys.executable, "-m", "pipelines.quality_worker", str(os.getpid())],
                                        stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=self._stderr, text=True, encoding="utf-8")

    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, warehouse: Path, work: Path) -> list[suites.Outcome]:
        """`run(warehouse, work)` in the worker's process: its outcomes, or WorkerFailed."""
        work.mkdir(parents=True, exist_ok=True)
        result = work / "outcomes.json"
        request = {"warehouse": str(Path(warehouse).resolve()), "work": str(work.resolve()), "result": str(result)}
        try:
            self.process.communicate(json.dumps(request) + "\n")
            if self.process.returncode != 0 or not result.exists():
                self._stderr.seek(0)
                lines = [line for line in self._stderr.read().decode("utf-8", "replace").splitlines()
                         if line.strip()]
                raise WorkerFailed(lines[-1] if lines else f"the data-quality process ended with status "
                                                           f"{self.process.returncode}")
            return [_outcome(item) for item in json.loads(result.read_text(encoding="utf-8"))]
        finally:
            self.stop()

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self._stderr.close()


def _as_dict(outcome: suites.Outcome) -> dict:
    check = outcome.check
    return {"check": {"check_id": check.check_id, "table": check.table, "label": check.label,
                      "expectation": check.expectation, "kwargs": [list(pair) for pair in check.kwargs]},
            "severity": outcome.severity, "success": outcome.success, "element_count": outcome.element_count,
            "unexpected_count": outcome.unexpected_count, "sample": outcome.sample}


def _outcome(item: dict) -> suites.Outcome:
    check = dict(item["check"], kwargs=tuple(tuple(pair) for pair in item["check"]["kwargs"]))
    return suites.Outcome(suites.Check(**check), item["severity"], item["success"], item["element_count"],
                   item["unexpected_count"], item["sample"])


def _serve(parent: int) -> int:
    """The worker's process: GX first, then one request on stdin (none: the run ended without its data-quality
    step)."""
    from pipelines.children import end_with_parent

    end_with_parent(parent)
    failed: list[BaseException] = []

    def import_quietly() -> None:
        # at a lower CPU priority (this thread's only, on Linux): the import takes the cores only when the run leaves
        # them idle (Dagster's start, dbt's, the gaps between dbt's nodes); the suite itself runs at the run's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            suites.import_gx()
        except BaseException as exc:  # raised again in the main thread, for the step to report
            failed.append(exc)

    importing = threading.Thread(target=import_quietly, name="serafin-import-gx", daemon=True)
    importing.start()
    line = sys.stdin.readline()
    if not line.strip():  # the run ended without its data-quality step: no need to finish the import
        os._exit(0)
    importing.join()
    if failed:
        raise failed[0]
    request = json.loads(line)
    outcomes = suites.run(Path(request["warehouse"]), Path(request["work"]))
    Path(request["result"]).write_text(json.dumps([_as_dict(o) for o in outcomes], ensure_ascii=False),
                                       encoding="utf-8")
    # done: the step waits for this process's end, and the interpreter's own teardown (GX, SQLAlchemy) took 0.5 s
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1])))
