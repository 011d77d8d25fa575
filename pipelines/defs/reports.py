"""Reports: downstream assets that read the marts only and write to the reports folder, one asset per page."""


from pathlib import Path

import dagster as dg

from pipelines.defs.resources import SerafinPaths


@dg.asset(
    key=["reports", "cost_report"],
    group_name="reports",
    kinds={"plotly", "html"},
    deps=[dg.AssetKey(["marts", "cost_per_prestation"]), dg.AssetKey(["marts", "cost_reconciliation"]),
          dg.AssetKey(["marts", "person_cost"])],
)
def cost_report(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """The finance director's cost page: reconciliation per ESMS-year and full cost per prestation."""
    from reports.cost_report import build_cost_report

    path = build_cost_report(Path(paths.warehouse), Path(paths.reports))
    context.log.info("cost report written to %s", path)
    return dg.MaterializeResult(metadata={"path": str(path)})


CPOM_MARTS = ["cost_reconciliation", "cost_per_prestation", "indicators", "indicators_board", "objectives",
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


@dg.asset(key=["reports", "index"], group_name="reports", kinds={"html"},
          deps=[cost_report, cpom_annexe, cpom_page, territory_page, dg.AssetKey(["audit", "ingestion_log"])])
def report_index(context: dg.AssetExecutionContext, paths: SerafinPaths) -> dg.MaterializeResult:
    """index.html: every report of the run, its date, period, files and warehouse."""
    from reports.index import build_index

    path = build_index(Path(paths.warehouse), Path(paths.reports))
    return dg.MaterializeResult(metadata={"path": str(path)})
