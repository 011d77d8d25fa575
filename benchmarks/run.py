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
≤ 1.15 × the bare read, a month added (--refresh) < 12 s; time growing linearly with rows (benchmarks/report.py:
TARGETS). Issue 40: the persistent Dagster instance costs a run at most 1 s of CPU (benchmarks/instance_cost.py).
Results are recorded in benchmarks/RESULTS.md.

This module drives the measures and times one run's stages; beside it: probes.py (CPU time, memory of a process
tree), landing_files.py (the landing folder, the bare read, the month held back), stages.py (a run's stages from its
timings), instance_cost.py (the ephemeral instance's run) and report.py (the printed table and verdicts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import instance_cost
import landing_files
import report
import stages
from probes import RssSampler, cpu_seconds, cpu_used

ROOT = Path(__file__).resolve().parents[1]
NO_RERUN = False  # --no-rerun: skip the re-run on unchanged files (tests/test_benchmark.py, to save its time)
INSTANCE_COST = False  # --instance-cost: the first build again with an ephemeral Dagster instance


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
    cpu["sampler"] = sampler.cpu_s  # in "self": the sampling thread's own CPU time
    instance_open = outcome.marks.get("instance_end", 0.0) - outcome.marks.get("instance_start", 0.0)
    if not record:
        return {"success": True, "total_s": end - t0, "instance_open_s": instance_open, "cpu_s": cpu,
                "cores": os.cpu_count(), "peak_rss_mb": sampler.peak(t0, end)}
    spans, nodes = stages.spans(timings(outcome), asset_groups(), t0, end)
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
    generated = landing_files.generate(landing, rows, esms, persons, years, seed)
    return _measure_on(landing, rows, workdir, generated, refresh)


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
    ephemeral = instance_cost.measure(landing, rows, workdir, _child) if INSTANCE_COST else None
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


def monthly_refresh(landing: Path, workdir: Path, warehouse: str, reports: str) -> dict:
    """A gestionnaire's monthly refresh: the warehouse without the last month's activity files (one run), then the
    same warehouse with that month added (the run measured)."""
    with landing_files.last_month_held_back(landing, workdir) as (month, files):
        without = _child("pipeline", str(landing), warehouse, reports)
    added = _child("pipeline", str(landing), warehouse, reports)
    return {"month": month, "files": files,
            "month_rows": added["rows"].get("activity", 0) - without["rows"].get("activity", 0),
            "without": without, "added": added}


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
        print(json.dumps(landing_files.bare_read(Path(args.bare_read[0]), Path(args.bare_read[1]))))
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
    print(report.render(results))
    print()
    for line in report.verdict(results[-1]):
        print(line)
    if "scenario" in results[-1]:
        import scenario_rerun

        for line in scenario_rerun.describe(results[-1]["scenario"]):
            print(line)
    for line in report.growth(results):
        print("growth " + line)
    for line in report.dbt_time(results):
        print(line)
    if args.markdown:
        print()
        print(report.render(results, markdown=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r["run"]["success"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
