"""Data quality after the dbt build (pipelines/data_quality/): the validation layer's row rules counted per rule, and
the Great Expectations suites run on the warehouse (SQL through GX's SQL data source), by one asset,
`audit.data_quality` (the results table donnees.html shows), which carries one Dagster asset check per check of
nomenclatures/data_quality_checks.csv, severity ERROR or WARN as that file says. A failing `error` check fails the
run with its name and failing count; a `warn` one is reported."""


from pathlib import Path

import dagster as dg

from pipelines.defs.resources import SerafinPaths

CHECKED = ["activity", "stays", "needs", "staff", "ledger"]
ASSET = dg.AssetKey(["audit", "data_quality"])


def _check_specs() -> list[dg.AssetCheckSpec]:
    from pipelines.data_quality import catalogue

    return [dg.AssetCheckSpec(name=c.check_id, asset=ASSET, description=c.label) for c in catalogue()]


@dg.asset(
    key=ASSET,
    group_name="quality",
    kinds={"great_expectations", "duckdb"},
    pool="warehouse",
    deps=[dg.AssetKey(["core", t]) for t in CHECKED] + [dg.AssetKey(["marts", "cost_quality"]),
                                                       dg.AssetKey(["marts", "cost_reconciliation"]),
                                                       dg.AssetKey(["audit", "rejected_rows"]),
                                                       dg.AssetKey(["audit", "data_warnings"]),
                                                       dg.AssetKey(["raw", "activity"])],
    check_specs=_check_specs(),
)
def data_quality(context: dg.AssetExecutionContext, paths: SerafinPaths):
    """The validation layer's row rules counted per rule, and Great Expectations on the landing rows, the core
    tables and the accounts' marts, executed in DuckDB; one row per check in audit.data_quality (units checked,
    failing count, a sample of failing units without person ids)."""
    from pipelines import prewarm
    from pipelines.quality_worker import Worker, WorkerFailed

    children = prewarm.of(paths.work)  # the run started the worker ahead (pipelines/prewarm.py), unless from the UI
    worker = children.take_quality() if children is not None else Worker()
    try:
        outcomes = worker.run(Path(paths.warehouse), Path(paths.work) / "gx")
    except WorkerFailed as exc:
        raise dg.Failure(description=f"the data-quality suite failed: {exc}") from None
    failed = [o for o in outcomes if not o.success and o.severity == "error"]
    yield dg.MaterializeResult(metadata={"checks": len(outcomes), "failed": sum(not o.success for o in outcomes),
                                         "failed_errors": len(failed)})
    for o in outcomes:
        yield dg.AssetCheckResult(
            check_name=o.check.check_id, asset_key=ASSET, passed=o.success,
            severity=dg.AssetCheckSeverity.ERROR if o.severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata={"table": o.check.table, "failing_rows": o.unexpected_count, "label": o.check.label})
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more failing checks)" if len(failed) > 1 else ""
        raise dg.Failure(f"data quality check {first.check.check_id} failed on {first.check.table}: "
                         f"{first.unexpected_count} failing rows ({first.check.label}){more}; see audit.data_quality")
