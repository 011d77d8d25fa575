"""Landing → raw: every file of the landing folder read, mapped, pseudonymised into `raw.*`.

Each raw table's materialization says, per landing file, its status and the rows read (raw.ingested_files). What
became of those rows (loaded or rejected by validation) is known once dbt built audit.ingestion_log: the dbt step then
records an observation of each raw table with the same per-file table, rows loaded and rejected added
(`file_observations`). Never a row's content, nor a rejected file's message (it may quote a value)."""


from pathlib import Path

import dagster as dg

from pipelines.defs.resources import SerafinPaths
from pipelines.ingestion import fhir, finess
from pipelines.ingestion.schema import TABLES

RAW_TABLES = [*TABLES, *finess.TABLES, *fhir.RAW_TABLES, "ingested_files", "row_rejections"]
COUNTS = ("rows_read", "rows_loaded", "rows_rejected")


def asset_of(source_table: str) -> dg.AssetKey | None:
    """The raw asset a landing file's rows are counted on: its table's; a FHIR file feeds several tables, counted on
    raw.fhir_index, which lists every FHIR file."""
    name = "fhir_index" if source_table == fhir.SOURCE else source_table
    return dg.AssetKey(["raw", name]) if name in RAW_TABLES else None


def per_file(rows: list[tuple], columns: tuple[str, ...]) -> dict[dg.AssetKey, dict]:
    """Metadata per raw asset from rows (file, source_table, status, *columns): a table of its files and the totals."""
    grouped: dict[dg.AssetKey, list[tuple]] = {}
    for row in rows:
        key = asset_of(row[1])
        if key is not None:
            grouped.setdefault(key, []).append(row)
    schema = dg.TableSchema(columns=[dg.TableColumn("file", "string"), dg.TableColumn("status", "string"),
                                     *(dg.TableColumn(c, "int") for c in columns)])
    out = {}
    for key, files in grouped.items():
        records = [dg.TableRecord({"file": f[0], "status": f[2], **{c: int(v or 0) for c, v in zip(columns, f[3:])}})
                   for f in files]
        out[key] = {"files": dg.MetadataValue.table(records, schema=schema),
                    **{c: sum(int(f[3 + i] or 0) for f in files) for i, c in enumerate(columns)}}
    return out


def file_observations(con) -> list[dg.AssetObservation]:
    """Each raw asset's files as audit.ingestion_log counts them (read, loaded, rejected), after the dbt build."""
    rows = con.execute(f"select file, source_table, status, {', '.join(COUNTS)} from audit.ingestion_log "
                       "order by file").fetchall()
    return [dg.AssetObservation(asset_key=key, metadata=metadata) for key, metadata in per_file(rows, COUNTS).items()]


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
        files = per_file(con.execute("select file, source_table, status, rows_read from raw.ingested_files "
                                     "order by file").fetchall(), ("rows_read",))
    per_table = summary.per_table()
    for name in RAW_TABLES:
        stats = per_table.get(name, {})
        key = dg.AssetKey(["raw", name])
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"files_read": stats.get("files", 0), "rows_read_now": stats.get("read", 0),
                      "files_unchanged": stats.get("unchanged", 0),
                      "files_quarantined": stats.get("rejected_files", 0), **files.get(key, {})},
        )
    context.log.info("landing: %d files (%d unchanged), %d removed", len(summary.outcomes),
                     sum(o.status == "unchanged" for o in summary.outcomes), len(summary.removed))
