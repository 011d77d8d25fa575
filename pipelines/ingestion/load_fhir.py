"""The loader of the TDDUI FHIR exports (`fhir/`, read and mapped by the package pipelines/ingestion/fhir/): each file
gives rows to several landing tables, so the changed files are read in two passes. Pass 1 (`index`) reads each once
into its work files and lists the resources references may point to; pass 2 (`land`) maps one file with the index of
every FHIR file of the landing and writes one row file per table, its index row file and its quarantined resources,
recorded as one file of the ingestion log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipelines.ingestion import fhir, finess, store
from pipelines.ingestion.load_context import LandingFile, LoadContext, Sink, quarantine_whole
from pipelines.ingestion.schema import TABLES

log = logging.getLogger("serafin.ingestion")


def index(ctx: LoadContext, changed: list[tuple[Path, str]]) -> dict:
    """Pass 1 over the changed FHIR files (`(path, rel)`): each read once into its work files, the resources
    references point to, per file, and those of the unchanged FHIR files read back from their index row files."""
    per_file: dict[str, list[tuple]] = {}
    problems: dict[str, str] = {}
    staged: dict[str, fhir.Staged] = {}
    for number, (path, rel) in enumerate(changed):
        if path.stat().st_size == 0:  # quarantined, not loaded as a file of no resources
            problems[rel] = f"{rel} is empty (0 bytes): export it again"
            continue
        try:
            staged[rel], per_file[rel] = fhir.index_file(ctx.con, path, ctx.key, ctx.workdir / "fhir", f"f{number}")
        except (fhir.FhirProblem, ValueError, *finess.UNREADABLE) as exc:  # a cut, corrupt or empty file
            problem = str(exc) if isinstance(exc, fhir.FhirProblem) else finess.reading_problem(exc)
            problems[rel] = f"{rel} cannot be read whole ({problem}): nothing of it is loaded; export it again"
    # the other FHIR files' index rows (a changed file's old rows are left out: its new ones replace them)
    kept = [str(p) for p in store.listed_row_files(ctx.con, ctx.raw).get("fhir_index", []) if p.exists()]
    others: list[tuple] = []
    if kept:
        files = ", ".join("'" + k.replace("'", "''") + "'" for k in kept)
        others = ctx.con.execute(
            f"select resource_type, resource_id, full_url, value, _file from read_parquet([{files}])").fetchall()
    everything = [r[:4] for r in others if r[4] not in per_file and r[4] not in problems]
    everything += [r for rows in per_file.values() for r in rows]
    return {"per_file": per_file, "problems": problems, "all": everything, "staged": staged}


def land(ctx: LoadContext, file: LandingFile, indexed: dict) -> store.FileOutcome:
    """Pass 2 over one FHIR file (`indexed`: what `index` returned): its rows for each landing table (one row file per
    table), its unmapped events, its index row file, its quarantined resources; recorded as one file of the
    ingestion log. A file pass 1 could not read, or one that fails while mapped, is rejected whole."""
    rel, sha = file.rel, file.sha
    if rel in indexed["problems"]:
        outcome = quarantine_whole(ctx, fhir.SOURCE, rel, sha, indexed["problems"][rel], format="fhir")
        log.error("%s rejected whole: %s", rel, indexed["problems"][rel])
        return outcome
    resolver = fhir.Index(ctx.key)
    resolver.add(indexed["all"], local=False)
    resolver.add(indexed["per_file"][rel], local=True)
    columns = {t: TABLES[t].column_names for t in fhir.TARGETS}
    columns["fhir_unmapped_events"] = list(fhir.UNMAPPED_COLUMNS)
    pending = {t: store.row_file(ctx.raw, t, rel, sha, ctx.fingerprint).with_suffix(".parquet.tmp")
               for t in [*columns, "fhir_index"]}
    sinks = {t: Sink(pending[t], c, rel) for t, c in columns.items()
             if t not in fhir.SQL_TABLES}  # the Encounters' tables: written by DuckDB
    mapper = fhir.Mapper(ctx.key, resolver, fhir.linkid_table(), fhir.esms_category_codes(),
                         lambda table, row: sinks[table].add(row))
    staged = indexed["staged"][rel]
    fmt = "fhir-" + staged.layout
    try:
        out, sql_rows = fhir.map_file(ctx.con, staged, mapper, rel, {t: pending[t] for t in fhir.SQL_TABLES})
        index_sink = Sink(pending["fhir_index"], list(fhir.INDEX_COLUMNS), rel)
        for kind, rid, url, value in indexed["per_file"][rel]:
            index_sink.add({"resource_type": kind, "resource_id": rid, "full_url": url, "value": value, "_line": 0})
        index_sink.close()
        written = {**{t: sink.close() for t, sink in sinks.items()}, **sql_rows}
        return _commit(ctx, file, out, written, fmt, pending)
    except (fhir.FhirProblem, ValueError, *finess.UNREADABLE) as exc:  # a cut, corrupt or empty file
        outcome = quarantine_whole(ctx, fhir.SOURCE, rel, sha, str(exc), format=fmt)
        log.error("%s rejected whole: %s", rel, exc)
        return outcome
    finally:
        for path in pending.values():
            path.unlink(missing_ok=True)


def _commit(ctx: LoadContext, file: LandingFile, out, written: dict[str, int], fmt: str,
            pending: dict[str, Path]) -> store.FileOutcome:
    """The mapped file's rejections and its line of the ingestion log in one transaction, then its row files
    (`written`: rows per table) under their names."""
    rel = file.rel
    rows_read = sum(written.values()) + len(out.rejections)
    resources = ", ".join(f"{n} {k}" for k, n in sorted(out.resources.items(), key=lambda kv: -kv[1]))
    rows = ", ".join(f"{n} {t}" for t, n in written.items() if n)
    note = f"{resources}; rows: {rows or 'none'}"
    with store.transaction(ctx.con):
        store.forget(ctx.con, ctx.raw, rel)
        for table, line, column, value, reason in out.rejections:
            ctx.con.execute("insert into raw.row_rejections values (?, ?, ?, ?, ?, ?)",
                            [table, rel, line, column, value, reason])
        store.record(ctx.con, store.IngestedFile(rel, fhir.SOURCE, file.sha, rows_read, "loaded", note,
                                                 ctx.fingerprint, format=fmt))
    for path in pending.values():
        if path.exists():
            os.replace(path, path.with_suffix(""))
    log.info("%s → %s (%s)", rel, rows or "no rows", resources)
    return store.FileOutcome(rel, fhir.SOURCE, "loaded", rows_read)
