"""What the warehouse's persistent Dagster instance costs a run (issue 40; benchmarks/run.py --instance-cost): the
first build again on a new warehouse in a Dagster instance kept in memory only, and the two runs compared. The
figure to watch is the CPU time of the run's own process, where Dagster writes its events (wall time varies far more
on a shared machine); the target is at most 1 s more than the ephemeral instance's."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

TARGET_S = 1.0  # issue 40: the whole-pipeline figures must not get worse by more than 1 s


def measure(landing: Path, rows: int, workdir: Path, child: Callable[..., dict]) -> dict:
    """The whole pipeline on `landing`, in a fresh process (`child`, benchmarks/run.py) with an ephemeral instance,
    on a new warehouse of its own."""
    warehouse = workdir / f"warehouse-{rows}-ephemeral.duckdb"
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(workdir / f"warehouse-{rows}-ephemeral.raw", ignore_errors=True)
    return child("pipeline-ephemeral", str(landing), str(warehouse), str(workdir / f"reports-{rows}-ephemeral"))


def cost(result: dict) -> dict | None:
    """The persistent instance's cost in one size's result, in seconds: wall time, and CPU time of the run's
    process (the memory sampler's aside); None when the ephemeral run was not measured."""
    ephemeral = result.get("ephemeral")
    if not ephemeral:
        return None
    run = result["run"]
    return {"wall_s": run["total_s"] - ephemeral["total_s"],
            "cpu_self_s": _cpu_self(run) - _cpu_self(ephemeral)}


def _cpu_self(run: dict) -> float:
    """The CPU time of the run's process, the memory sampler's thread aside (its time grows with the wall time)."""
    return run["cpu_s"]["self"] - run["cpu_s"].get("sampler", 0.0)


def rows(results: list[dict]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The table's rows on the instance (benchmarks/report.py): (label, [(value, peak MB or '') per size])."""
    if not any(r.get("ephemeral") for r in results):
        return []
    costs = [cost(r) for r in results]
    return [
        ("Dagster instance: opened in (s)", [(f"{r['run'].get('instance_open_s', 0):.2f}", "") for r in results]),
        ("Dagster instance: size after the runs (MB)", [(f"{r['run'].get('instance_mb', 0):.1f}", "")
                                                        for r in results]),
        ("whole pipeline, ephemeral instance (s)", [
            (f"{r['ephemeral']['total_s']:.1f}", f"{r['ephemeral']['peak_rss_mb']:.0f}") if r.get("ephemeral")
            else ("—", "") for r in results]),
        ("persistent instance: cost of a run, wall time (s)", [
            (f"{c['wall_s']:+.1f}", "") if c else ("—", "") for c in costs]),
        # CPU time varies far less than wall time on a shared machine: the run's own process is where events are written
        ("persistent instance: cost of a run, CPU of the run's process, sampler aside (s)", [
            (f"{c['cpu_self_s']:+.1f}", "") if c else ("—", "") for c in costs]),
    ]


def verdict(result: dict) -> list[str]:
    """The target's line for one size's result (none when the ephemeral run was not measured)."""
    found = cost(result)
    if found is None:
        return []
    value = found["cpu_self_s"]
    return [f"{'met ' if value <= TARGET_S else 'MISSED'} persistent instance, CPU of the run's process (sampler aside): "
            f"{value:+,.2f} s (target ≤ {TARGET_S:,.2f})"]
