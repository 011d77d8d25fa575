"""Reports: downstream assets that read the marts only and write to the reports folder, one asset per page."""


from pathlib import Path

import dagster as dg

from pipelines.defs.resources import SerafinPaths


@dg.asset(
    key=["reports", "cost_report"],
    group_name="reports",
    kinds={"plotly", "html"},
    deps=[dg.AssetKey(["marts", m]) for m in (
        "cost_per_prestation", "cost_reconciliation", "person_cost", "cost_flow", "unallocated_cost",
        "cost_parameters", "cost_person_distribution", "action_cost_summary", "cost_benchmark", "funding_scenario",
        "funding_scenarios", "funding_sensitivity")],
)
def cost_report(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """couts.html, the finance director's report: reconciliation, cost per prestation, the path from the accounts
    to the persons, cost per person, the actions, each ESMS among the others, the funding scenarios."""
    from reports.cost_report import build_cost_report

    path = build_cost_report(Path(paths.warehouse), Path(paths.reports))
    context.log.info("cost report written to %s", path)
    return dg.MaterializeResult(metadata={"path": str(path)})


CPOM_MARTS = ["cost_reconciliation", "cost_per_prestation", "indicators", "indicators_board", "objectives_board",
              "cpom_trajectory", "funding_scenario", "funding_scenario_detail", "funding_scenarios"]


@dg.asset(key=["reports", "cpom_annexe"], group_name="reports", kinds={"excel"},
          deps=[dg.AssetKey(["marts", m]) for m in CPOM_MARTS])
def cpom_annexe(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """cpom_annexe.xlsx: the CPOM's financial annex, one sheet per part."""
    from reports.cpom_pack import build_cpom_workbook

    path = build_cpom_workbook(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "cpom_page"], group_name="reports", kinds={"plotly", "html"},
          deps=[dg.AssetKey(["marts", m]) for m in ("cpom_trajectory", "funding_scenario", "funding_scenarios")])
def cpom_page(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """cpom.html: the summary of the CPOM pack."""
    from reports.cpom_pack import build_cpom_page

    path = build_cpom_page(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "territory_page"], group_name="reports", kinds={"plotly", "html"},
          deps=[dg.AssetKey(["marts", m]) for m in ("territory_offer", "territory_demand", "territory_coverage",
                                                     "territory_establishments")])
def territory_page(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """territoire.html: offer, demand and coverage of the territory, and an offline map."""
    from reports.territory import build_territory_page

    path = build_territory_page(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "pilotage_page"], group_name="reports", kinds={"plotly", "html"},
          deps=[dg.AssetKey(["marts", m]) for m in ("cooperation_frame", "objectives_board", "cooperation_contributions",
                                                     "indicators_board", "territory_offer", "territory_coverage")])
def pilotage_page(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """pilotage.html: the cooperation's steering dashboard (board, COPIL), no person-level data."""
    from reports.pilotage import build_pilotage_page

    path = build_pilotage_page(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "quality_page"], group_name="reports", kinds={"plotly", "html"},
          deps=[dg.AssetKey(["marts", m]) for m in ("indicators_board", "needs_coverage_by_domain",
                                                     "objectives_board")])
def quality_page(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """qualite.html: every indicator with its numerator and denominator by HAS theme, needs coverage, objectives."""
    from reports.quality import build_quality_page

    path = build_quality_page(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "restricted_lists"], group_name="reports", kinds={"excel"},
          deps=[dg.AssetKey(["marts", m]) for m in ("followup_plans_not_reviewed", "followup_uncovered_needs",
                                                     "followup_ruptures", "parcours")])
def restricted_lists(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """restreint/: the follow-up lists and the parcours, for the quality team only (never linked from a page)."""
    from reports.quality import build_restricted

    path = build_restricted(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "data_quality_page"], group_name="reports", kinds={"html"},
          deps=[dg.AssetKey(["audit", "data_quality"]), dg.AssetKey(["audit", "ingestion_log"]),
                dg.AssetKey(["audit", "rejected_rows"])])
def data_quality_page(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """donnees.html: each data-quality check with its failing rows, and what the ingestion quarantined."""
    from reports.data_quality import build_data_quality_page

    path = build_data_quality_page(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset(key=["reports", "index"], group_name="reports", kinds={"html"},
          deps=[cost_report, cpom_annexe, cpom_page, territory_page, pilotage_page, quality_page, data_quality_page,
                dg.AssetKey(["audit", "ingestion_log"])])
def report_index(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """index.html: every report of the run, its date, period, files and warehouse."""
    from reports.index import build_index

    path = build_index(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})


REPORT_ASSETS = [cost_report, cpom_annexe, cpom_page, territory_page, pilotage_page, quality_page, restricted_lists,
                 data_quality_page, report_index]
