"""What the benchmark measures of a process besides time: its CPU time and that of the children it waited for, and
the resident memory of its process tree, sampled (benchmarks/run.py)."""

from __future__ import annotations

import os
import resource
import threading
import time

# ---------------------------------------------------------------- CPU time: this process and the children it waited for

def cpu_seconds() -> dict[str, float]:
    """User + system CPU time so far of this process (all its threads) and of its children that have ended and
    been waited for (the dbt process, the data-quality and report processes: each waited for by its step)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": own.ru_utime + own.ru_stime, "children": children.ru_utime + children.ru_stime}


def cpu_used(before: dict[str, float]) -> dict[str, float]:
    now = cpu_seconds()
    used = {key: now[key] - before[key] for key in now}
    return {**used, "total": used["self"] + used["children"]}


# ---------------------------------------------------------------- memory: RSS of a process tree

def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(c) for c in handle.read().split())
    except OSError:
        pass
    return found


def tree_rss_mb(pid: int) -> float:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _rss_kb(current)
        stack.extend(_children(current))
    return total / 1024


class RssSampler(threading.Thread):
    """Samples the RSS of this process and its children every `interval` seconds. Its own CPU time (`cpu_s`, known
    once stopped) is counted in the process's: about 1 % of the wall time on a loaded machine, which a comparison of
    two runs of different wall times takes out."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval, self.samples, self._halt = interval, [], threading.Event()
        self.cpu_s = 0.0

    def run(self) -> None:
        pid = os.getpid()
        while not self._halt.is_set():
            self.samples.append((time.time(), tree_rss_mb(pid)))
            self._halt.wait(self.interval)
        self.cpu_s = time.thread_time()

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self.samples.append((time.time(), tree_rss_mb(os.getpid())))

    def peak(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start - self.interval <= t <= end + self.interval]
        return max(inside, default=0.0)
