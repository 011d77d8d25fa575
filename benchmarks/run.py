"""Benchmark of the whole pipeline on a large gestionnaire (issue 5).

For each size: generate a landing folder with `serafin generate` (20 ESMS, about 5,000 persons, 3 years,
half the monthly activity files written as French exports: `;`, Windows-1252, decimal comma), run the
whole pipeline once in a fresh process, and print, per stage, wall time and peak memory (RSS of the
process and its children, the dbt subprocess included), rows per second for ingestion and, on the same
files in the same run, a bare DuckDB baseline: `read_csv` the activity files into a table (the Windows-1252
files as Latin-1 where it reads them the same, as the pipeline does, else transcoded first), one GROUP BY.
The figure to watch is our ingestion time over that bare read. The CPU time of the run's processes (its
own, dbt's, the data-quality and report processes') over the cores is the least wall time the same work
can take on the machine, however it is scheduled.

    python benchmarks/run.py --activity-rows 1e6 2.5e6 5e6
    python benchmarks/run.py --activity-rows 5e6 --markdown      # also print the table as Markdown
    python benchmarks/run.py --activity-rows 5e4 --instance-cost # what the persistent Dagster instance costs a run

Targets (issue 17; 5 M rows, 2 cores): whole pipeline < 45 s and ≤ 3 × the bare read, peak RSS < 3 GB, ingestion
≤ 1.15 × the bare read, a month added (--refresh) < 12 s; time growing linearly with rows (TARGETS below). Results are
recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["start-up", "ingestion", "dbt start-up", "dbt models", "cost marts", "indicators", "scenarios",
          "data quality", "reports", "swap"]
DBT_STAGES = ("dbt models", "cost marts", "indicators", "scenarios")
# Dagster asset groups → stage (the dbt groups follow the model folders, see pipelines/defs/dbt.py)
GROUP_STAGE = {"nomenclatures": "dbt models", "staging": "dbt models", "validation": "dbt models",
               "core": "dbt models", "audit": "dbt models", "costs": "cost marts", "marts": "cost marts",
               "indicators": "indicators", "quality": "indicators", "cooperation": "indicators",
               "parcours": "indicators", "funding": "scenarios", "territory": "indicators"}
# issue 17: 5 M rows under 45 s and within 3x the bare read, 3 GB, ingestion within 1.15x the bare read; a month added in
# under 12 s; 50 M rows (a region) under 8 minutes and 4 GB
TARGETS = {"total_s": 45.0, "peak_rss_mb": 3072.0, "ingestion_ratio": 1.15, "bare_ratio": 3.0, "refresh_s": 12.0}
REGION_TARGETS = {"total_s": 480.0, "peak_rss_mb": 4096.0}
NO_RERUN = False  # --no-rerun: skip the re-run on unchanged files (tests/test_benchmark.py, to save its time)
INSTANCE_COST = False  # --instance-cost: the first build again with an ephemeral Dagster instance


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
    """Samples the RSS of this process and its children every `interval` seconds."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval, self.samples, self._halt = interval, [], threading.Event()

    def run(self) -> None:
        pid = os.getpid()
        while not self._halt.is_set():
            self.samples.append((time.time(), tree_rss_mb(pid)))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self.samples.append((time.time(), tree_rss_mb(os.getpid())))

    def peak(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start - self.interval <= t <= end + self.interval]
        return max(inside, default=0.0)


# ---------------------------------------------------------------- the bare DuckDB baseline

def bare_read(activity: Path, workdir: Path) -> dict:
    """What DuckDB alone does with the same files: read_csv every activity file into a table of a DuckDB file
    (the cp1252 files as Latin-1 when the two read the same, else transcoded to UTF-8 first, as the pipeline
    does), one GROUP BY."""
    import duckdb

    sys.path.insert(0, str(ROOT))
    from pipelines.ingestion.encodings import detect_encoding, latin1_readable, transcode_to_utf8
    from pipelines.ingestion.readers import sniff_delimiter

    start, cpu = time.time(), cpu_seconds()
    sources: dict[tuple[str, str], list[str]] = {}
    for path in sorted(activity.glob("*.csv")):
        encoding = "utf-8"
        if detect_encoding(path) != "utf-8":
            if latin1_readable(path):
                encoding = "latin-1"
            else:
                target = workdir / (path.name + ".utf8")
                transcode_to_utf8(path, target)
                path = target
        sources.setdefault((sniff_delimiter(path), encoding), []).append(str(path))
    con = duckdb.connect(str(workdir / "bare.duckdb"))
    con.execute("set threads = 2; set enable_progress_bar = false")
    rows = 0
    for i, ((delimiter, encoding), files) in enumerate(sources.items()):
        con.execute(f"create table activity_{i} as select * from read_csv(?, delim = ?, encoding = ?, header = true, "
                     "union_by_name = true, all_varchar = true)", [files, delimiter, encoding])
        rows += con.execute(f"select count(*) from activity_{i}").fetchone()[0]
    groups = 0
    for i in range(len([f for f in sources.values() if f])):
        first = con.execute(f"select column_name from (describe activity_{i}) limit 1 offset 2").fetchone()[0]
        groups += len(con.execute(f'select "{first}", count(*) from activity_{i} group by 1').fetchall())
    con.close()
    return {"seconds": time.time() - start, "cpu_s": cpu_used(cpu)["total"], "rows": rows, "groups": groups}


# ---------------------------------------------------------------- one pipeline run, stage by stage

def pipeline(landing: Path, warehouse: Path, reports: Path, record: bool = True) -> dict:
    """Run the whole pipeline once (in this process, as `serafin run` does) and time each stage from the run's event
    log, through the run layer's timing function (pipelines/run.py: step start and end, each dbt node's
    materialisation and its own duration). `record` False: an ephemeral Dagster instance instead of the warehouse's
    persistent one (what the persistent instance costs a run is the difference)."""
    t0, cpu = time.time(), cpu_seconds()
    sampler = RssSampler()
    sampler.start()
    sys.path.insert(0, str(ROOT))
    from pipelines.run import asset_groups, execute, timings

    outcome = execute(landing, warehouse, reports, record=record)
    if not outcome.success:
        raise SystemExit(f"the pipeline failed: {outcome.reason}")
    end = time.time()
    cpu = cpu_used(cpu)
    sampler.stop()
    instance_open = outcome.marks.get("instance_end", 0.0) - outcome.marks.get("instance_start", 0.0)
    if not record:
        return {"success": True, "total_s": end - t0, "instance_open_s": instance_open, "cpu_s": cpu,
                "cores": os.cpu_count(), "peak_rss_mb": sampler.peak(t0, end)}
    spans, nodes = _spans(timings(outcome), asset_groups(), t0, end)
    if "swap_start" in outcome.marks:  # the new warehouse put in place of the old one, and unused row files removed
        spans["swap"] = (outcome.marks["swap_start"], outcome.marks["swap_end"])
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = dict(con.execute("select source_table, sum(rows_read) from audit.ingestion_log "
                                  "group by source_table").fetchall())
        reconciled = con.execute("select count(*), sum(case when abs(delta) <= 0.01 then 1 else 0 end) "
                                 "from marts.cost_reconciliation").fetchone()
    home = outcome.instance_home
    return {
        "success": True,
        "total_s": end - t0,
        "peak_rss_mb": sampler.peak(t0, end),
        # CPU time of the run's processes: divided by the cores, the least wall time any schedule of this work takes
        "cpu_s": cpu, "cores": os.cpu_count(),
        "instance_open_s": instance_open,
        "instance_mb": sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 1e6 if home else 0.0,
        "stages": {name: {"seconds": b - a, "peak_rss_mb": sampler.peak(a, b)} for name, (a, b) in spans.items()},
        "rows": {k: int(v) for k, v in counts.items()},
        "esms_years": reconciled[0], "esms_years_reconciled": reconciled[1],
        "dbt_nodes": {"models_s": sum(n[0] for n in nodes if n[1] == "model"),
                      "tests_s": sum(n[0] for n in nodes if n[1] == "test"),
                      "tests": sum(n[1] == "test" for n in nodes),
                      "slowest": [[name, kind, seconds] for seconds, kind, name in sorted(nodes, reverse=True)]},  # every node
    }


def _spans(run, groups: dict[str, str], t0: float, end: float) -> tuple[dict[str, tuple[float, float]], list]:
    """Each stage's (start, end) from a run's timings (pipelines/instance.py: Timings), and dbt's own time per node:
    (seconds, model or test, name)."""
    step_start = {key: start for key, (start, _) in run.steps.items()}
    step_end = {key: stop for key, (_, stop) in run.steps.items() if stop is not None}
    nodes = [(seconds, "test", name) for name, step, seconds in run.checks if step == "serafin_dbt" and seconds is not None]
    stage_end: dict[str, float] = {}
    for key, step, at, seconds, unchanged in run.materializations:
        if step != "serafin_dbt" or unchanged:  # left as the last build made it (pipelines/defs/dbt.py): not built now
            continue
        if seconds is not None:
            nodes.append((seconds, "model", key.replace("/", ".")))
        stage = GROUP_STAGE.get(groups.get(key, ""), "dbt models")
        stage_end[stage] = max(stage_end.get(stage, 0.0), at)
        stage_end["dbt first"] = min(stage_end.get("dbt first", at), at)
    spans: dict[str, tuple[float, float]] = {"start-up": (t0, min(step_start.values(), default=end))}
    if "landing_files" in step_start:
        spans["ingestion"] = (step_start["landing_files"], step_end.get("landing_files", end))
    if "serafin_dbt" in step_start:
        dbt_start, dbt_end = step_start["serafin_dbt"], step_end.get("serafin_dbt", end)
        previous = stage_end.get("dbt first", dbt_end)
        spans["dbt start-up"] = (dbt_start, previous)
        for stage in sorted((s for s in DBT_STAGES if s in stage_end), key=lambda s: stage_end[s]):
            spans[stage] = (previous, stage_end[stage])
            previous = stage_end[stage]
        last = max((s for s in spans if s in DBT_STAGES), key=lambda s: spans[s][1], default=None)
        if last:  # the tests that follow the last model belong to it
            spans[last] = (spans[last][0], dbt_end)
    if "audit__data_quality" in step_start:  # the Great Expectations suites on the warehouse
        spans["data quality"] = (step_start["audit__data_quality"], step_end.get("audit__data_quality", end))
    report_steps = [k for k in step_start if k not in ("landing_files", "serafin_dbt", "audit__data_quality")]
    if report_steps:
        spans["reports"] = (min(step_start[k] for k in report_steps), max(step_end.get(k, end) for k in report_steps))
    return spans, nodes


# ---------------------------------------------------------------- driver

def _child(mode: str, *args: str) -> dict:
    """Run one measurement in a fresh Python process, so each peak RSS is its own."""
    out = subprocess.run([sys.executable, __file__, f"--{mode}", *args], check=False, capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(rows: int, workdir: Path, esms: int, persons: int, years: str, seed: int, refresh: bool = False) -> dict:
    landing = workdir / f"landing-{rows}"
    t = time.time()
    marker = workdir / f"landing-{rows}.complete"
    if marker.exists():  # a kept --workdir: the same files again
        return _measure_on(landing, rows, workdir, 0.0, refresh)
    shutil.rmtree(landing, ignore_errors=True)
    gen = subprocess.run([sys.executable, "-m", "pipelines.cli", "generate", "--out", str(landing), "--esms",
                          str(esms), "--persons", str(persons), "--years", years, "--seed", str(seed),
                          "--activity-rows", str(rows)], check=False, capture_output=True, text=True, cwd=ROOT)
    if gen.returncode != 0:
        raise RuntimeError(gen.stderr[-3000:])
    marker.write_text("generated\n")
    return _measure_on(landing, rows, workdir, time.time() - t, refresh)


def _measure_on(landing: Path, rows: int, workdir: Path, generated: float, refresh: bool = False) -> dict:
    for stale in (workdir / f"reports-{rows}",):
        shutil.rmtree(stale, ignore_errors=True)
    (workdir / f"warehouse-{rows}.duckdb").unlink(missing_ok=True)
    shutil.rmtree(workdir / f"warehouse-{rows}.raw", ignore_errors=True)
    size_mb = sum(p.stat().st_size for p in (landing / "activity").glob("*.csv")) / 1e6
    # the bare read twice, before and after the pipeline, and the faster one kept: on a shared machine a
    # single read varies by ±25 %, and the practical limit is the best the machine does
    bare_runs = []
    for attempt in range(2):
        scratch = workdir / f"bare-{rows}-{attempt}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        if attempt == 1:
            warehouse, reports = str(workdir / f"warehouse-{rows}.duckdb"), str(workdir / f"reports-{rows}")
            run = _child("pipeline", str(landing), warehouse, reports)
        bare_runs.append(_child("bare-read", str(landing / "activity"), str(scratch)))
        shutil.rmtree(scratch, ignore_errors=True)
    bare = min(bare_runs, key=lambda b: b["seconds"])
    bare["all_seconds"] = [b["seconds"] for b in bare_runs]
    # the same files again on the same warehouse: ingestion only hashes them (incremental by sha256); not for a
    # region's size, where it would double the benchmark's time to show what 5 M rows already show
    rerun = _child("pipeline", str(landing), warehouse, reports) if rows <= 20_000_000 and not NO_RERUN else None
    # the same first build with an ephemeral Dagster instance: what the warehouse's persistent instance costs a run
    ephemeral = None
    if INSTANCE_COST:
        eph = workdir / f"warehouse-{rows}-ephemeral.duckdb"
        eph.unlink(missing_ok=True)
        shutil.rmtree(workdir / f"warehouse-{rows}-ephemeral.raw", ignore_errors=True)
        ephemeral = _child("pipeline-ephemeral", str(landing), str(eph), str(workdir / f"reports-{rows}-ephemeral"))
    ingestion = run["stages"].get("ingestion", {}).get("seconds", 0.0)
    result = {"target_rows": rows, "activity_rows": run["rows"].get("activity", 0),
              "input_rows": sum(run["rows"].values()), "activity_mb": size_mb, "generate_s": generated,
              "bare": bare, "run": run, "rerun": rerun, "ephemeral": ephemeral,
              "ingestion_ratio": ingestion / bare["seconds"] if bare["seconds"] else None}
    if not NO_RERUN and (landing / "scenarios").is_dir():  # `serafin scenario FILE` on this warehouse (issue 38)
        import scenario_rerun

        result["scenario"] = scenario_rerun.measure(landing, Path(warehouse))
    if refresh:
        result["refresh"] = monthly_refresh(landing, workdir, warehouse, reports)
    return result


def _month(path: Path) -> str | None:
    found = re.search(r"(\d{4})-(\d{2})", path.name)
    return f"{found.group(1)}-{found.group(2)}" if found else None


def monthly_refresh(landing: Path, workdir: Path, warehouse: str, reports: str) -> dict:
    """A gestionnaire's monthly refresh: the warehouse without the last month's activity files (one run), then the
    same warehouse with that month added (the run measured)."""
    activity = landing / "activity"
    months = sorted({m for p in activity.iterdir() if (m := _month(p))})
    last = [p for p in activity.iterdir() if _month(p) == months[-1]]
    held = workdir / "held-back-month"
    shutil.rmtree(held, ignore_errors=True)
    held.mkdir()
    for path in last:
        path.rename(held / path.name)
    try:
        without = _child("pipeline", str(landing), warehouse, reports)
    finally:
        for path in last:
            (held / path.name).rename(path)
    added = _child("pipeline", str(landing), warehouse, reports)
    return {"month": months[-1], "files": len(last),
            "month_rows": added["rows"].get("activity", 0) - without["rows"].get("activity", 0),
            "without": without, "added": added}


def _rows(results: list[dict]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(label, [(seconds or value, peak MB or '') per size])."""
    out = []
    for stage in STAGES:
        cells = []
        for r in results:
            st = r["run"]["stages"].get(stage)
            cells.append(("—", "") if st is None else (f"{st['seconds']:.1f}", f"{st['peak_rss_mb']:.0f}"))
        out.append((stage, cells))
    out.append(("whole pipeline", [(f"{r['run']['total_s']:.1f}", f"{r['run']['peak_rss_mb']:.0f}") for r in results]))
    out.append(("whole pipeline: CPU time of its processes / its floor on the cores (s)",
                [(_cpu_cell(r["run"]), "") for r in results]))
    if any(r["rerun"] for r in results):  # not measured: "—"
        out.append(("re-run, no file changed: ingestion", [
            (f"{r['rerun']['stages'].get('ingestion', {}).get('seconds', 0):.1f}", "") if r["rerun"] else ("—", "")
            for r in results]))
        out.append(("re-run, no file changed: whole", [
            (f"{r['rerun']['total_s']:.1f}", f"{r['rerun']['peak_rss_mb']:.0f}") if r["rerun"] else ("—", "")
            for r in results]))
    if any("refresh" in r for r in results):
        def refresh_cell(r, pick):
            return pick(r["refresh"]) if "refresh" in r else ("—", "")
        out.append(("monthly refresh: activity rows of the month added", [refresh_cell(
            r, lambda f: (f"{f['month_rows']:,} ({f['month']})", "")) for r in results]))
        for stage in ("ingestion", *DBT_STAGES, "data quality", "reports"):
            out.append((f"monthly refresh: {stage}", [refresh_cell(r, lambda f, stage=stage: (
                f"{f['added']['stages'].get(stage, {}).get('seconds', 0):.1f}", "")) for r in results]))
        out.append(("monthly refresh: whole", [refresh_cell(r, lambda f: (
            f"{f['added']['total_s']:.1f}", f"{f['added']['peak_rss_mb']:.0f}")) for r in results]))
        out.append(("monthly refresh: CPU time / its floor on the cores (s)", [refresh_cell(r, lambda f: (
            _cpu_cell(f["added"]), "")) for r in results]))
    if any(r.get("ephemeral") for r in results):
        out.append(("Dagster instance: opened in (s)", [(f"{r['run'].get('instance_open_s', 0):.2f}", "")
                                                        for r in results]))
        out.append(("Dagster instance: size after the runs (MB)", [(f"{r['run'].get('instance_mb', 0):.1f}", "")
                                                                   for r in results]))
        out.append(("whole pipeline, ephemeral instance (s)", [
            (f"{r['ephemeral']['total_s']:.1f}", f"{r['ephemeral']['peak_rss_mb']:.0f}") if r.get("ephemeral")
            else ("—", "") for r in results]))
        out.append(("persistent instance: cost of a run, wall time (s)", [
            (f"{r['run']['total_s'] - r['ephemeral']['total_s']:+.1f}", "") if r.get("ephemeral") else ("—", "")
            for r in results]))
        # CPU time varies far less than wall time on a shared machine: the run's own process is where events are written
        out.append(("persistent instance: cost of a run, CPU of the run's process (s)", [
            (f"{r['run']['cpu_s']['self'] - r['ephemeral']['cpu_s']['self']:+.1f}", "") if r.get("ephemeral")
            else ("—", "") for r in results]))
    out.append(("ingestion rows/s (all tables)", [(
        f"{r['input_rows'] / max(r['run']['stages'].get('ingestion', {}).get('seconds', 1e-9), 1e-9):,.0f}", "")
        for r in results]))
    out.append(("bare DuckDB read + GROUP BY (s)", [(f"{r['bare']['seconds']:.1f}", "") for r in results]))
    out.append(("bare read: CPU time (s)", [(f"{r['bare']['cpu_s']:.1f}" if "cpu_s" in r["bare"] else "—", "")
                                            for r in results]))
    out.append(("  (the two bare reads, s)", [
        (" / ".join(f"{v:.1f}" for v in r["bare"].get("all_seconds", [r["bare"]["seconds"]])), "") for r in results]))
    out.append(("ingestion / bare read", [(f"{r['ingestion_ratio']:.2f} ×", "") for r in results]))
    out.append(("whole pipeline / bare read", [(f"{r['run']['total_s'] / r['bare']['seconds']:.2f} ×", "")
                                               for r in results]))
    out.append(("s per million activity rows", [(f"{r['run']['total_s'] / (r['activity_rows'] / 1e6):.1f}", "")
                                                for r in results]))
    out.append(("ESMS-years reconciled", [
        (f"{r['run']['esms_years_reconciled']}/{r['run']['esms_years']}", "") for r in results]))
    return out


def _cpu_cell(run: dict) -> str:
    """'CPU / floor': the CPU seconds of a run's processes, and those seconds over the machine's cores (no schedule
    of the same work on this machine ends sooner)."""
    if "cpu_s" not in run:
        return "—"
    return f"{run['cpu_s']['total']:.1f} / {run['cpu_s']['total'] / run['cores']:.1f}"


def render(results: list[dict], markdown: bool = False) -> str:
    rows = _rows(results)
    sizes = [f"{r['activity_rows'] / 1e6:.2f} M rows" for r in results]
    if markdown:
        header = ["stage"] + [f"{size} {unit}" for size in sizes for unit in ("s", "peak MB")]
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join([label] + [v for cell in cells for v in cell]) + " |" for label, cells in rows]
        return "\n".join(out)
    header = ["stage"] + [f"{size}: s | peak MB" for size in sizes]
    lines = [[label] + [f"{a:>7} | {b:>6}" if b else a for a, b in cells] for label, cells in rows]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    fmt = lambda row: "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))  # noqa: E731
    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in lines)])


def dbt_time(results: list[dict]) -> list[str]:
    """Where dbt's time goes, per run: its own time per node summed over its threads, and the slowest nodes."""
    lines = []
    for r in results:
        runs = [("full build", r["run"])] + ([("monthly refresh", r["refresh"]["added"])] if "refresh" in r else [])
        for label, run in runs:
            d = run.get("dbt_nodes")
            if not d:
                continue
            slowest = ", ".join(f"{name} {seconds:.1f}" for name, _, seconds in d["slowest"][:8])
            lines.append(f"{r['activity_rows'] / 1e6:.2f} M rows, {label}: dbt models {d['models_s']:.1f} s, "
                         f"{d['tests']} tests {d['tests_s']:.1f} s (summed over dbt's threads); slowest: {slowest}")
    return lines


def growth(results: list[dict]) -> list[str]:
    """Seconds per extra million activity rows between consecutive sizes: flat when time is linear in rows
    (the fixed start-up of Python, Dagster and dbt cancels out)."""
    lines = []
    for a, b in itertools.pairwise(results):
        extra = (b["activity_rows"] - a["activity_rows"]) / 1e6
        if extra <= 0:
            continue
        def delta(pick, a=a, b=b, extra=extra):
            return (pick(b) - pick(a)) / extra
        ingest = delta(lambda r: r["run"]["stages"].get("ingestion", {}).get("seconds", 0))
        dbt = delta(lambda r: sum(r["run"]["stages"].get(s, {}).get("seconds", 0)
                                 for s in DBT_STAGES))
        total = delta(lambda r: r["run"]["total_s"])
        lines.append(f"{a['activity_rows'] / 1e6:.1f} → {b['activity_rows'] / 1e6:.1f} M rows: +{total:.1f} s per extra "
                     f"million rows (ingestion +{ingest:.1f}, dbt models and marts +{dbt:.1f})")
    return lines


def verdict(result: dict) -> list[str]:
    run = result["run"]
    if result["activity_rows"] > 20e6:  # a region on one machine
        checks = [("whole pipeline (region)", run["total_s"], REGION_TARGETS["total_s"], "s"),
                  ("peak RSS (region)", run["peak_rss_mb"], REGION_TARGETS["peak_rss_mb"], "MB")]
    else:
        checks = [
            ("whole pipeline", run["total_s"], TARGETS["total_s"], "s"),
            ("whole pipeline / bare read", run["total_s"] / result["bare"]["seconds"], TARGETS["bare_ratio"], "×"),
            ("peak RSS", run["peak_rss_mb"], TARGETS["peak_rss_mb"], "MB"),
            ("ingestion / bare read", result["ingestion_ratio"], TARGETS["ingestion_ratio"], "×"),
        ]
        if "refresh" in result:
            checks.append(("one month added", result["refresh"]["added"]["total_s"], TARGETS["refresh_s"], "s"))
    lines = [f"{'met ' if value <= target else 'MISSED'} {name}: {value:,.2f} {unit} (target ≤ {target:,.2f})"
             for name, value, target, unit in checks]
    # the least wall time the same work could take on this machine: its CPU time spread over every core
    for label, measured in [("whole pipeline", run)] + ([("one month added", result["refresh"]["added"])]
                                                         if "refresh" in result else []):
        if "cpu_s" in measured:
            cpu = measured["cpu_s"]
            lines.append(f"CPU {label}: {cpu['total']:,.1f} s ({cpu['self']:,.1f} in the run's process, "
                         f"{cpu['children']:,.1f} in dbt's and the other steps'), at least {cpu['total'] / measured['cores']:,.1f} s "
                         f"of wall time on {measured['cores']} cores")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activity-rows", nargs="+", default=["1e6"], help="one or more sizes, e.g. 1e6 2.5e6 5e6")
    parser.add_argument("--esms", type=int, default=20)
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--years", default="2023-2025")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", default=None, help="keep the generated data and warehouses here")
    parser.add_argument("--no-rerun", action="store_true", help="skip the re-run on unchanged files")
    parser.add_argument("--instance-cost", action="store_true",
                        help="also run the first build with an ephemeral Dagster instance: what the warehouse's "
                             "persistent instance costs a run")
    parser.add_argument("--refresh", action="store_true",
                        help="also measure a monthly refresh: the last month's activity files added to the warehouse")
    parser.add_argument("--memory-limit", default=None,
                        help="DuckDB's memory limit per process, e.g. 2GB (SERAFIN_DUCKDB_MEMORY); beyond it DuckDB spills to "
                             "<warehouse>.tmp")
    parser.add_argument("--json", default=None, help="also write the measures to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--bare-read", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--pipeline", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--pipeline-ephemeral", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.bare_read:
        print(json.dumps(bare_read(Path(args.bare_read[0]), Path(args.bare_read[1]))))
        return 0
    if args.pipeline or args.pipeline_ephemeral:
        record = bool(args.pipeline)
        print(json.dumps(pipeline(*(Path(p) for p in (args.pipeline or args.pipeline_ephemeral)), record=record)))
        return 0

    os.environ.setdefault("SERAFIN_PSEUDONYM_KEY", "benchmark-key-not-secret-32-bytes-long")
    global NO_RERUN, INSTANCE_COST
    NO_RERUN, INSTANCE_COST = args.no_rerun, args.instance_cost
    if args.memory_limit:  # read by every child process (pipelines/settings.py, dbt_project/profiles.yml)
        os.environ["SERAFIN_DUCKDB_MEMORY"] = args.memory_limit
    sizes = [int(float(s)) for s in args.activity_rows]
    with tempfile.TemporaryDirectory(prefix="serafin-bench-") as tmp:
        workdir = Path(args.workdir).resolve() if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = []
        for rows in sizes:
            print(f"… {rows:,} activity rows: generating, bare read, pipeline", file=sys.stderr, flush=True)
            results.append(measure(rows, workdir, args.esms, args.persons, args.years, args.seed, args.refresh))
    cpus = os.cpu_count()
    with open("/proc/meminfo") as handle:
        mem_gb = int(handle.readline().split()[1]) / 1024 / 1024
    print(f"\nserafin benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()} {cpus} cores {mem_gb:.0f} GB, "
          f"Python {platform.python_version()}; {args.esms} ESMS, {args.persons:,} persons, years {args.years}\n")
    print(render(results))
    print()
    for line in verdict(results[-1]):
        print(line)
    if "scenario" in results[-1]:
        import scenario_rerun

        for line in scenario_rerun.describe(results[-1]["scenario"]):
            print(line)
    for line in growth(results):
        print("growth " + line)
    for line in dbt_time(results):
        print(line)
    if args.markdown:
        print()
        print(render(results, markdown=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r["run"]["success"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
