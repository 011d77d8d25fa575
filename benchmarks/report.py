"""The benchmark's printed results (benchmarks/run.py): the table, as text or Markdown, of each stage's seconds and
peak memory per size, the targets met or missed, where dbt's time goes, and how time grows with rows."""

from __future__ import annotations

import itertools

import instance_cost
from stages import DBT_STAGES, STAGES

# issue 17: 5 M rows under 45 s and within 3x the bare read, 3 GB, ingestion within 1.15x the bare read; a month added in
# under 12 s; 50 M rows (a region) under 8 minutes and 4 GB
TARGETS = {"total_s": 45.0, "peak_rss_mb": 3072.0, "ingestion_ratio": 1.15, "bare_ratio": 3.0, "refresh_s": 12.0}
REGION_TARGETS = {"total_s": 480.0, "peak_rss_mb": 4096.0}


def table_rows(results: list[dict]) -> list[tuple[str, list[tuple[str, str]]]]:
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
    out += instance_cost.rows(results)
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
    rows = table_rows(results)
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
    lines += instance_cost.verdict(result)
    # the least wall time the same work could take on this machine: its CPU time spread over every core
    for label, measured in [("whole pipeline", run)] + ([("one month added", result["refresh"]["added"])]
                                                         if "refresh" in result else []):
        if "cpu_s" in measured:
            cpu = measured["cpu_s"]
            lines.append(f"CPU {label}: {cpu['total']:,.1f} s ({cpu['self']:,.1f} in the run's process, "
                         f"{cpu['children']:,.1f} in dbt's and the other steps'), at least {cpu['total'] / measured['cores']:,.1f} s "
                         f"of wall time on {measured['cores']} cores")
    return lines
