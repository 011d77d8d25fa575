"""The loader of the TDDUI FHIR exports (`fhir/`, read and mapped by the package pipelines/ingestion/fhir/): each file
gives rows to several landing tables, so the changed files are read in two passes. Pass 1 (`index`) reads each once
into its work files and lists the resources references may point to; pass 2 (`land`) maps one file with the index of
every FHIR file of the landing and writes one row file per table, its index row file and its quarantined resources,
recorded as one file of the ingestion log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipelines.ingestion import fhir, finess, sql_values, store
from pipelines.ingestion.load_context import LandingFile, LoadContext, Sink, quarantine_whole
from pipelines.ingestion.schema import TABLES

log = logging.getLogger("serafin.ingestion")


PYTHON_KINDS = ("Patient", "Organization", "Consent")  # what the Python mapping resolves (mapper.py: the plans)


def index(ctx: LoadContext, changed: list[tuple[Path, str]]) -> dict:
    """Pass 1 over the changed FHIR files (`(path, rel)`): each read once into its work files, the resources
    references point to written per file to an index work file; with the index row files of the unchanged FHIR
    files, every FHIR file's index rows (`everything`: SQL over those files, never read into Python whole) and, for
    each changed file, the other files' (`others`)."""
    files: dict[str, Path] = {}
    problems: dict[str, str] = {}
    staged: dict[str, fhir.Staged] = {}
    # DuckDB on one thread per statement for the whole of pass 1 (its reads run side by side, each on a cursor of its
    # own): set once, rather than at every step of every file. A file's Encounters are typed beside the next file's
    # pass 1 (each waited for after the last file)
    typing: list = []
    with fhir.one_thread(ctx.con):
        try:
            for number, (path, rel) in enumerate(changed):
                if path.stat().st_size == 0:  # quarantined, not loaded as a file of no resources
                    problems[rel] = f"{rel} is empty (0 bytes): export it again"
                    continue
                try:
                    staged[rel], files[rel] = fhir.index_file(ctx.con, path, ctx.key, ctx.workdir / "fhir",
                                                              f"f{number}", rel, typing)
                except (fhir.FhirProblem, ValueError, *finess.UNREADABLE) as exc:  # a cut, corrupt or empty file
                    problem = str(exc) if isinstance(exc, fhir.FhirProblem) else finess.reading_problem(exc)
                    problems[rel] = f"{rel} cannot be read whole ({problem}): nothing of it is loaded; export it again"
        finally:
            fhir.finish_typing(typing)
    # the other FHIR files' index rows (a changed file's old rows are left out: its new ones replace them)
    kept = [p for p in store.listed_row_files(ctx.con, ctx.raw).get("fhir_index", []) if p.exists()]

    def rows(fresh: list[Path]) -> str:
        return (f"select * from ({fhir.index_rows_sql(kept, [*files, *problems])}) union all "
                f"select f + {len(kept)} as f, * exclude (f) from ({fhir.index_rows_sql(fresh)})")

    # each file's SQL mapping resolves through its own rows first, then the other files' (`others`: its own again
    # would only double the keys to look through, and never be the first found)
    others = {rel: rows([p for r, p in files.items() if r != rel]) for rel in files}
    return {"files": files, "problems": problems, "everything": rows(list(files.values())), "others": others,
            "staged": staged}


def _python_index(ctx: LoadContext, local: Path, everything: str) -> fhir.Index:
    """The index the Python mapping resolves through: the resources it looks up (PYTHON_KINDS), in order."""
    resolver = fhir.Index(ctx.key)
    kinds = ", ".join(f"'{k}'" for k in PYTHON_KINDS)
    for source, is_local in ((everything, False), (fhir.index_rows_sql([local]), True)):
        resolver.add(ctx.con.execute(f"select resource_type, resource_id, full_url, value from ({source}) "
                                     f"where resource_type in ({kinds}) order by f, r").fetchall(), local=is_local)
    return resolver


def land(ctx: LoadContext, file: LandingFile, indexed: dict) -> store.FileOutcome:
    """Pass 2 over one FHIR file (`indexed`: what `index` returned): its rows for each landing table (one row file per
    table), its unmapped events, its index row file, its quarantined resources; recorded as one file of the
    ingestion log. A file pass 1 could not read, or one that fails while mapped, is rejected whole."""
    rel, sha = file.rel, file.sha
    if rel in indexed["problems"]:
        outcome = quarantine_whole(ctx, fhir.SOURCE, rel, sha, indexed["problems"][rel], format="fhir")
        log.error("%s rejected whole: %s", rel, indexed["problems"][rel])
        return outcome
    local = indexed["files"][rel]
    columns = {t: TABLES[t].column_names for t in fhir.TARGETS}
    columns["fhir_unmapped_events"] = list(fhir.UNMAPPED_COLUMNS)
    pending = {t: store.row_file(ctx.raw, t, rel, sha, ctx.fingerprint).with_suffix(".parquet.tmp")
               for t in [*columns, "fhir_index"]}
    sinks = {t: Sink(ctx.con, pending[t], c, rel) for t, c in columns.items()
             if t not in fhir.SQL_TABLES}  # the Encounters' tables: written by DuckDB
    mapper = fhir.Mapper(ctx.key, _python_index(ctx, local, indexed["everything"]), fhir.linkid_table(),
                         fhir.esms_category_codes(), lambda table, row: sinks[table].add(row))
    staged = indexed["staged"][rel]
    fmt = "fhir-" + staged.layout
    try:
        out, sql_rows = fhir.map_file(ctx.con, staged, mapper, rel, {t: pending[t] for t in fhir.SQL_TABLES},
                                      (local, indexed["others"][rel]))
        fhir.write_index_row_file(ctx.con, local, pending["fhir_index"])  # the index work file, ids left out
        written = {**{t: sink.close() for t, sink in sinks.items()}, **sql_rows}
        return _commit(ctx, file, out, written, fmt, pending)
    except (fhir.FhirProblem, ValueError, *finess.UNREADABLE) as exc:  # a cut, corrupt or empty file
        outcome = quarantine_whole(ctx, fhir.SOURCE, rel, sha, str(exc), format=fmt)
        log.error("%s rejected whole: %s", rel, exc)
        return outcome
    finally:
        for sink in sinks.values():
            sink.discard()
        for path in pending.values():
            path.unlink(missing_ok=True)


def _commit(ctx: LoadContext, file: LandingFile, out, written: dict[str, int], fmt: str,
            pending: dict[str, Path]) -> store.FileOutcome:
    """The mapped file's rejections and its line of the ingestion log in one transaction, then its row files
    (`written`: rows per table) under their names."""
    rel = file.rel
    rows_read = sum(written.values()) + len(out.rejections)
    resources = ", ".join(f"{n} {k}" for k, n in sorted(out.resources.items(), key=lambda kv: (-kv[1], kv[0])))
    rows = ", ".join(f"{n} {t}" for t, n in written.items() if n)
    note = f"{resources}; rows: {rows or 'none'}"
    with store.transaction(ctx.con):
        store.forget(ctx.con, ctx.raw, rel)
        sql_values.insert(ctx.con, "raw.row_rejections", [(table, rel, line, column, value, reason)
                                                          for table, line, column, value, reason in out.rejections])
        store.record(ctx.con, store.IngestedFile(rel, fhir.SOURCE, file.sha, rows_read, "loaded", note,
                                                 ctx.fingerprint, format=fmt))
    for path in pending.values():
        if path.exists():
            os.replace(path, path.with_suffix(""))
    log.info("%s → %s (%s)", rel, rows or "no rows", resources)
    return store.FileOutcome(rel, fhir.SOURCE, "loaded", rows_read)
