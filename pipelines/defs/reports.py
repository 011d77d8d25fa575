"""Reports: downstream assets that read the marts only and write to the reports folder."""


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
