"""TDDUI FHIR exports as an input: the landing folder's `fhir/` holds what a DUI software exports under the ANS
guide "Médicosocial - Transfert de données DUI" (FHIR R4 JSON): Bundles (collection, transaction, searchset),
single resources, or NDJSON (one resource per line, as bulk exports write them), gzipped or not, any number of
files. They give the rows of the same landing tables as CSV files (data-contract section 4):

| resource | table |
| --- | --- |
| Encounter tddui-encounter-evenement | activity: one row per (person, professional); a Group subject gives one row per member |
| Encounter tddui-encounter-sejour | stays |
| QuestionnaireResponse, SERAFIN questionnaire | needs: one row per answered item (linkId → code: tddui_serafin_linkids.csv) |
| CarePlan projet personnalisé (+ Task, Consent) | plans: one row per SERAFIN code of its actions; co-built and signed from the consent |
| Patient | persons: the local identifier only (never INS nor NIR), pseudonymised like every person id |
| Organization | an establishments row (FINESS, name; its category when it carries an ESMS one); resolves references |

Each changed file is read once (files.py): a Bundle cut into one line per entry (NumPy, a chunk at a time), an
NDJSON file as it is; DuckDB reads those lines in order and writes every resource but the Encounters to a Parquet
work file (stage.py). Pass 1 indexes the resources others refer to (Patient, Organization, Practitioner,
PractitionerRole, Group, Consent) in SQL into `raw.fhir_index`, the file's own row file (indexing.py: the pseudonym
of a Patient, never its identifier; ids and URLs as keyed hashes, computed by DuckDB with the same HMAC as the CSV
path: keyed.py). Pass 2 maps in DuckDB the Encounters (encounters.py: the bulk, a year of a large ESMS is hundreds
of thousands of them), the Patients and the SERAFIN QuestionnaireResponses (people.py), each written straight to
its row file, every reference resolved once (resolve.py); the few Organizations, CarePlans and Tasks in Python
(mapper.py). References resolve within the file (`urn:uuid:` fullUrls, `Type/id`) first, then across the files of
the folder (`Patient/123`) through that index, unchanged files included.

Kept for the user, never dropped: an event whose type has no SERAFIN-PH coding goes to
`raw.fhir_unmapped_events` (audit.unmapped_events) with its other type codes; an unresolved reference, a
missing mandatory period or an invalid resource goes to `raw.row_rejections` with the file, the resource's
position (entry or line) and id, and the reason. Identifiers that carry the usager's id or a NIR-shaped number
(the guide's own event ids do: `3480787529/147720425367411-EVN-12548`) have it replaced by a pseudonym.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.ingestion.fhir.elements import (
    EXTENSIONS,
    FOLDER,
    INDEX_COLUMNS,
    INDEXED,
    LINE_FACTOR,
    RAW_TABLES,
    SOURCE,
    TARGETS,
    UNMAPPED_COLUMNS,
    Entry,
    FhirProblem,
    Index,
    esms_category_codes,
    linkid_table,
    local_identifier,
    organisation_finess,
    ref_keys,
    scrub,
)
from pipelines.ingestion.fhir.encounters import ENCOUNTER_TABLES, load_encounters
from pipelines.ingestion.fhir.files import Staged, is_fhir_file, layout, resources, slow_path, split_bundle, stage
from pipelines.ingestion.fhir.indexing import write_index
from pipelines.ingestion.fhir.indexing import write_row_file as write_index_row_file
from pipelines.ingestion.fhir.keyed import installed
from pipelines.ingestion.fhir.mapper import HANDLED, Mapped, Mapper
from pipelines.ingestion.fhir.people import PEOPLE_TABLES
from pipelines.ingestion.fhir.resolve import Resolved, index_rows_sql
from pipelines.ingestion.fhir.stage import kind_counts_sql, one_thread, write_objects

SQL_TABLES = (*ENCOUNTER_TABLES, *PEOPLE_TABLES)  # the row files the DuckDB mapping writes itself

__all__ = [
    "EXTENSIONS",
    "FOLDER",
    "INDEXED",
    "INDEX_COLUMNS",
    "LINE_FACTOR",
    "RAW_TABLES",
    "SOURCE",
    "SQL_TABLES",
    "TARGETS",
    "UNMAPPED_COLUMNS",
    "Entry",
    "FhirProblem",
    "Index",
    "Mapped",
    "Mapper",
    "Staged",
    "esms_category_codes",
    "finish_typing",
    "index_file",
    "index_rows_sql",
    "is_fhir_file",
    "layout",
    "linkid_table",
    "local_identifier",
    "map_file",
    "one_thread",
    "organisation_finess",
    "ref_keys",
    "resources",
    "scrub",
    "split_bundle",
    "stage",
    "write_index_row_file",
]


def index_file(con, path: Path, key: bytes, workdir: Path, name: str, rel: str,
               typing: list | None = None) -> tuple[Staged, Path]:
    """Pass 1 over one file: it is staged (read once, its objects written: stage.objects_sql; a Bundle's, and its
    Encounters typed, part by part as it is cut: early.EarlyParts), and its index rows written by DuckDB to a
    work file in the columns of its `fhir_index` row file, returned, its Encounters typed meanwhile
    (early.EarlyTyping) (FhirProblem, OSError or EOFError: the file cannot be read, it is rejected whole). Given a
    list `typing`, the typing still running is added to it rather than waited for (the next file's pass 1 runs
    beside it; the caller finishes it before pass 2: `finish_typing`)."""
    import duckdb

    from pipelines.ingestion.fhir.early import EarlyParts, EarlyTyping

    early = EarlyParts(con, Staged(path, "json", True, [], workdir / f"{name}.parquet", workdir / f"{name}.objects"))
    try:
        staged = stage(con, path, workdir, name, on_part=early.submit)
    finally:
        failure = early.wait()
    if isinstance(failure, duckdb.InvalidInputException):
        raise FhirProblem("not valid JSON (a Bundle entry that is not)") from failure
    if failure is not None:
        raise failure
    staged.typed_early = early.pool is not None
    try:
        write_objects(con, staged)
    except duckdb.InvalidInputException:  # a line that is not JSON: the file is read line by line
        slow_path(con, staged)
        write_objects(con, staged)
    index = workdir / f"{name}.index.parquet"
    early_typing = EarlyTyping(con, staged).start()  # the Encounters typed beside the index
    try:
        with installed(con, key):
            write_index(con, staged, rel, index)
    except BaseException:
        early_typing.finish(ok=False)
        raise
    if typing is None:
        early_typing.finish()
    else:
        typing.append(early_typing)
    return staged, index


def finish_typing(typing: list) -> None:
    """The typings index_file left running (its `typing` list) ended, the last begun first (each holds DuckDB at one
    thread inside the one begun before it: stage.one_thread)."""
    for early_typing in reversed(typing):
        early_typing.finish()
    typing.clear()


def map_file(con, staged: Staged, mapper: Mapper, rel: str, targets: dict[str, Path],
             index: tuple[Path, str]) -> tuple[Mapped, dict]:
    """Pass 2 over one staged file: its Encounters, Patients and QuestionnaireResponses in DuckDB to the row files
    `targets` (SQL_TABLES), its few other resources through `mapper` (whose emit writes their rows); `index`: the
    file's index work file and the other FHIR files' index rows (resolve.index_rows_sql). Returns what the mapper kept
    (rejections, counts, with those of the SQL mapping) and the rows written per SQL table."""
    enc = load_encounters(con, staged)  # first: a line the JSON reader cannot type sends the file the slow way
    tag = f"fhir_{abs(hash(str(staged.objects))) % 10**9}"
    try:
        full_urls: dict[int, str | None] = {}
        for kind, count in con.execute(kind_counts_sql(staged, HANDLED)).fetchall():  # Patients, Groups...
            if kind:
                mapper.out.resources[kind] = mapper.out.resources.get(kind, 0) + count
        for entry in resources(con, staged, HANDLED):
            if entry.full_url and entry.resource and entry.resource.get("resourceType") == "CarePlan":
                full_urls[entry.number] = entry.full_url
            mapper.map(entry)
        out = mapper.finish(full_urls)
        with installed(con, mapper.key):
            rows, rejections, encounters = _map_sql(con, staged, (enc, tag, Resolved(mapper.key, *index)),
                                                    mapper, rel, targets)
    finally:
        shutil.rmtree(staged.encounters, ignore_errors=True)
    out.rejections.extend(rejections)
    if encounters:
        out.resources["Encounter"] = out.resources.get("Encounter", 0) + encounters
    for table, count in rows.items():
        if table in out.rows:
            out.rows[table] += count
    return out, rows


def _map_sql(con, staged: Staged, work: tuple, mapper: Mapper, rel: str, targets: dict[str, Path]):
    """The SQL mappings of a file (encounters.py, people.py), the references they use resolved once (resolve.py);
    `work`: the relation of its typed Encounters, the tag of its temporary tables, its resolve.Resolved."""
    from pipelines.ingestion.fhir import people
    from pipelines.ingestion.fhir.encounters import ENCOUNTER_TABLES, empty, map_encounters, sources
    from pipelines.ingestion.fhir.resolve import _table

    enc, tag, resolved = work
    responses = people.responses_sql(staged)
    found = sources(enc)
    try:
        resolved.prepare(con, tag, [found["references"], f"select subject_ref as ref from ({responses})"],
                         [found["logical"], f"select subject_ident as identifier from ({responses}) "
                                            "where subject_ref is null"], [found["idents"]])
        _table(con, f"{tag}_linkids", {"link_id": "varchar", "need_code": "varchar"},
               [list(mapper.link_ids), list(mapper.link_ids.values())])
        encounters = con.execute(f"select count(*) from {enc}").fetchone()[0]
        if encounters:
            sql = map_encounters(con, enc, tag, rel, targets, staged.objects.with_suffix(""))
        else:
            sql = {"rows": {t: empty(con, t, targets[t]) for t in ENCOUNTER_TABLES}, "rejections": []}
        rows, rejections = sql["rows"], list(sql["rejections"])
        rows["persons"], more = people.map_patients(con, staged, rel, targets["persons"])
        rejections += more
        rows["needs"], more = people.map_responses(con, staged, tag, rel, targets["needs"])
        rejections += more
        return rows, rejections, encounters
    finally:
        resolved.release(con, tag)
        con.execute(f"drop table if exists {tag}_linkids")
