"""Reports: downstream assets that read the marts only and write to the reports folder, one asset per page.

The pages are built by one Dagster step (a multi-asset, `reports`), in parallel worker processes, one per core, each
with its share of the pages: each page is Python work (Plotly figures, Excel cells) on its own, and at a region's
scale the restricted lists and the cost report take tens of seconds each. The index, which lists the pages built,
comes last, in the step's own process."""

import os
from dataclasses import dataclass

import dagster as dg

from pipelines.defs.resources import SerafinPaths


def _marts(*names: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["marts", m]) for m in names]


@dataclass(frozen=True)
class Page:
    """One report asset: the function that writes it (`module:function(warehouse, out_dir) -> path`)."""

    name: str
    builder: str
    description: str
    kinds: frozenset[str]
    deps: tuple[dg.AssetKey, ...]

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(["reports", self.name])

    def spec(self) -> dg.AssetSpec:
        return dg.AssetSpec(self.key, deps=list(self.deps), group_name="reports", kinds=set(self.kinds),
                            description=self.description)


CPOM_MARTS = ["cost_reconciliation", "cost_per_prestation", "indicators", "indicators_board", "objectives_board",
              "cpom_trajectory", "funding_scenario", "funding_scenario_detail", "funding_scenarios"]

# in the order the workers take them: the longest first (at a region's scale, the restricted lists hold hundreds of
# thousands of rows of Excel, the cost report a figure per ESMS)
PAGES = [
    Page("restricted_lists", "reports.quality:build_restricted",
         "restreint/: the follow-up lists and the parcours, for the quality team only (never linked from a page).",
         frozenset({"excel"}),
         tuple(_marts("followup_plans_not_reviewed", "followup_uncovered_needs", "followup_ruptures", "parcours"))),
    Page("cost_report", "reports.cost_report:build_cost_report",
         "couts.html, the finance director's report: reconciliation, cost per prestation, the path from the accounts "
         "to the persons, cost per person, the actions, each ESMS among the others, the funding scenarios.",
         frozenset({"plotly", "html"}),
         tuple(_marts("cost_per_prestation", "cost_reconciliation", "person_cost", "cost_flow", "unallocated_cost",
                      "cost_parameters", "cost_person_distribution", "action_cost_summary", "cost_benchmark",
                      "funding_scenario", "funding_scenarios", "funding_sensitivity", "traceability"))),
    Page("cpom_annexe", "reports.cpom_pack:build_cpom_workbook",
         "cpom_annexe.xlsx: the CPOM's financial annex, one sheet per part.", frozenset({"excel"}),
         tuple(_marts(*CPOM_MARTS))),
    Page("simulators", "reports.simulator:build_simulators",
         "simulateur/<file>.xlsx: for each scenario file, a live workbook: its tariffs and amounts as inputs, each "
         "ESMS's funding, delta and the rules' amounts as formulas over them.", frozenset({"excel"}),
         tuple(_marts("funding_scenario", "funding_scenario_detail", "funding_scenarios", "funding_need_levels"))),
    Page("quality_page", "reports.quality:build_quality_page",
         "qualite.html: every indicator with its numerator and denominator by HAS theme, needs coverage, objectives.",
         frozenset({"plotly", "html"}), tuple(_marts("indicators_board", "needs_coverage_by_domain", "objectives_board"))),
    Page("pilotage_page", "reports.pilotage:build_pilotage_page",
         "pilotage.html: the cooperation's steering dashboard (board, COPIL), no person-level data.",
         frozenset({"plotly", "html"}),
         tuple(_marts("cooperation_frame", "objectives_board", "cooperation_contributions", "indicators_board",
                      "territory_offer", "territory_coverage"))),
    Page("cpom_page", "reports.cpom_pack:build_cpom_page", "cpom.html: the summary of the CPOM pack.",
         frozenset({"plotly", "html"}), tuple(_marts("cpom_trajectory", "funding_scenario", "funding_scenarios"))),
    Page("territory_page", "reports.territory:build_territory_page",
         "territoire.html: offer, demand and coverage of the territory, and an offline map.",
         frozenset({"plotly", "html"}),
         tuple(_marts("territory_offer", "territory_demand", "territory_coverage", "territory_establishments"))),
    Page("board_pack", "reports.pack:build_pack",
         "pack_copil.pdf: the board pack (pilotage, CPOM synthesis, key figures of the other pages), A4, printed by "
         "headless Chromium; skipped, saying so, without Chromium.", frozenset({"pdf"}),
         tuple(_marts("cooperation_frame", "objectives_board", "cooperation_contributions", "indicators_board",
                      "territory_offer", "territory_coverage", "cpom_trajectory", "funding_scenario",
                      "cost_reconciliation", "cost_person_distribution"))),
    Page("data_quality_page", "reports.data_quality:build_data_quality_page",
         "donnees.html: each data-quality check with its failing rows, and what the ingestion quarantined.",
         frozenset({"html"}),
         (dg.AssetKey(["audit", "data_quality"]), dg.AssetKey(["audit", "ingestion_log"]),
          dg.AssetKey(["audit", "rejected_rows"]))),
]
INDEX = Page("index", "reports.index:build_index", "index.html: every report of the run, its date, period, files and "
             "warehouse.", frozenset({"html"}),
             (*(p.key for p in PAGES if p.name != "restricted_lists"), dg.AssetKey(["audit", "ingestion_log"])))


def _build_in_child(pages: list[Page], warehouse: str, out_dir: str) -> dict[str, str | RuntimeError]:
    """Pages built one after the other by a Python process of their own (`python -m reports WAREHOUSE OUT BUILDER...`,
    reports/__main__.py): each page's path, or a RuntimeError with the last line of its error. A plain child process:
    a fork of the run's process could inherit a lock held by one of Dagster's threads, and multiprocessing's spawn
    would import the caller's main script again in every worker. One process for several pages: each would otherwise
    pay again for Python, DuckDB, Plotly and pandas (about 0.4 s of CPU)."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "reports", warehouse, out_dir, *(p.builder for p in pages)],
                          capture_output=True, text=True, encoding="utf-8", errors="replace", check=False)
    outcomes = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            outcome = json.loads(line)
            outcomes[outcome["builder"]] = outcome.get("path") or RuntimeError(outcome.get("error", "failed"))
    if len(outcomes) < len(pages):  # the process itself ended early: its last words for the pages it left
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        ended = RuntimeError(lines[-1] if lines else f"exit code {done.returncode}")
        outcomes.update({p.builder: ended for p in pages if p.builder not in outcomes})
    return {p.name: outcomes[p.builder] for p in pages}


def _written(path: str) -> dict:
    """A page's materialization metadata: the file written (or folder, for the restricted lists) and its bytes."""
    from pathlib import Path

    written = Path(path)
    files = [p for p in written.rglob("*") if p.is_file()] if written.is_dir() else [written]
    return {"path": dg.MetadataValue.path(path), "files": len(files),
            "bytes": sum(p.stat().st_size for p in files if p.exists())}


def _workers(pages: int) -> int:
    """Pages built at once: one per core, at most one per page."""
    return max(1, min(pages, os.cpu_count() or 1))


@dg.multi_asset(specs=[p.spec() for p in [*PAGES, INDEX]], name="reports", can_subset=True)
def report_pages(context: dg.AssetExecutionContext, paths: SerafinPaths):
    """Every selected page, in parallel child processes, then the index. A page that fails does not stop the
    others: the step fails at the end, naming it."""
    import concurrent.futures

    selected = [p for p in PAGES if p.key in context.selected_asset_keys]
    workers = _workers(len(selected) or 1)
    shares = [selected[i::workers] for i in range(workers)]  # PAGES is longest first: each worker gets a long one
    by_name = {p.name: p for p in selected}
    failed: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_build_in_child, share, paths.warehouse, paths.reports) for share in shares if share]
        for future in concurrent.futures.as_completed(futures):
            for name, path in future.result().items():
                page = by_name[name]
                if isinstance(path, RuntimeError):  # the page's own error, as its builder raised it
                    context.log.error(f"report {page.name} failed: {path}")
                    failed.append(f"{page.name} ({path})")
                    continue
                if not os.path.exists(path):  # a page that could not be written says why (the pack without Chromium)
                    context.log.warning(f"report {page.name}: {path}")
                    yield dg.MaterializeResult(asset_key=page.key, metadata={"skipped": path})
                    continue
                context.log.info(f"report {page.name} written to {path}")
                yield dg.MaterializeResult(asset_key=page.key, metadata=_written(path))
    if failed:
        raise dg.Failure(description="report pages failed: " + "; ".join(failed))
    if INDEX.key in context.selected_asset_keys:
        from reports.__main__ import build_page

        path = build_page(INDEX.builder, paths.warehouse, paths.reports)
        yield dg.MaterializeResult(asset_key=INDEX.key, metadata=_written(path))


REPORT_ASSETS = [report_pages]

