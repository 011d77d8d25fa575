"""The child processes a run starts ahead of the steps that need them, owned by that run alone.

While Dagster starts on one core, the processes of the steps to come import their libraries on the other: dbt
(`serafin-dbt --warm`, pipelines/dbt_child.py) and the data-quality suite's Great Expectations
(pipelines/quality_worker.py). `serafin run` makes one `Prewarmed` per run and registers it under the run's work folder
while the run lasts (`owned_by`); its steps find it there (`of`). A run started from the Dagster UI has none: its steps
start what they need themselves. Whatever no step took is stopped with the run."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

_RUNS: dict[str, Prewarmed] = {}  # a run's work folder → its processes started ahead, while the run lasts


class Prewarmed:
    """A run's processes started ahead: at most one warm dbt and one data-quality worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._quality = None
        self._dbt = None

    def start_dbt(self, folder: Path) -> None:
        """A warm `serafin-dbt` (its socket in `folder`), which takes the first dbt command after `offer_dbt`; none
        when a warm dbt that takes every command is named (dbt_child.MANY_ENV: the test suite's), which takes it."""
        from pipelines.dbt_child import Warm, many_ready

        if not many_ready():
            self._dbt = Warm(folder)

    def offer_dbt(self) -> None:
        """From now on, the `serafin-dbt` dagster-dbt starts finds the warm one through this process's environment
        (dagster-dbt passes it on). Not before: a `dbt parse` of the project would take it."""
        if self._dbt is not None:
            os.environ.update(self._dbt.environ())

    def start_quality(self) -> None:
        """The data-quality worker the data-quality step will take, unless one is started already."""
        from pipelines.quality_worker import Worker

        with self._lock:
            if self._quality is None or not self._quality.alive():
                self._quality = Worker()

    def take_quality(self):
        """The worker started ahead, or a new one (a run started from the Dagster UI)."""
        from pipelines.quality_worker import Worker

        with self._lock:
            worker, self._quality = self._quality, None
        return worker if worker is not None and worker.alive() else Worker()

    def stop(self) -> None:
        """At the end of the run: stop what no step took (a run that failed before those steps)."""
        with self._lock:
            worker, self._quality = self._quality, None
        if worker is not None:
            worker.stop()
        if self._dbt is not None:
            for name in self._dbt.environ():
                os.environ.pop(name, None)
            self._dbt.stop()
            self._dbt = None


@contextlib.contextmanager
def owned_by(work: Path):
    """A `Prewarmed` for the run whose work folder is `work`, found by its steps (`of`) until the run ends, then
    stopped."""
    children = Prewarmed()
    _RUNS[str(Path(work).resolve())] = children
    try:
        yield children
    finally:
        _RUNS.pop(str(Path(work).resolve()), None)
        children.stop()


def of(work: str | Path) -> Prewarmed | None:
    """The processes started ahead by the run working in `work`, if that run is in this process."""
    return _RUNS.get(str(Path(work).resolve()))
