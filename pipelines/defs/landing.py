"""Landing → raw: every file of the landing folder read, mapped, pseudonymised into `raw.*`."""


from pathlib import Path

import dagster as dg

from pipelines.defs.resources import SerafinPaths
from pipelines.ingestion import fhir, finess
from pipelines.ingestion.schema import TABLES

RAW_TABLES = [*TABLES, *finess.TABLES, *fhir.RAW_TABLES, "ingested_files", "row_rejections"]


@dg.multi_asset(
    specs=[dg.AssetSpec(["raw", name], group_name="landing", kinds={"duckdb"},
                        description=f"raw.{name}: landing rows as text, with source file and line")
           for name in RAW_TABLES],
    name="landing_files",
    pool="warehouse",
)
def landing_files(context: dg.AssetExecutionContext, paths: SerafinPaths):
    """Read every landing file (CSV, XLSX, Parquet, folders of them) into raw tables, incrementally by sha256."""
    import duckdb

    from pipelines import settings
    from pipelines.ingestion.landing import land_folder
    from pipelines.ingestion.pseudonym import load_key

    with duckdb.connect(paths.warehouse, config=settings.duckdb_config()) as con:
        summary = land_folder(con, Path(paths.landing), load_key(), Path(paths.raw))
    per_table = summary.per_table()
    for name in RAW_TABLES:
        stats = per_table.get(name, {})
        yield dg.MaterializeResult(
            asset_key=["raw", name],
            metadata={"files": stats.get("files", 0), "rows_read": stats.get("read", 0),
                      "files_unchanged": stats.get("unchanged", 0),
                      "files_quarantined": stats.get("rejected_files", 0)},
        )
    context.log.info("landing: %d files (%d unchanged), %d removed", len(summary.outcomes),
                     sum(o.status == "unchanged" for o in summary.outcomes), len(summary.removed))
