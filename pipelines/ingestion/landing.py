"""Land a folder of exports into the warehouse's `raw` schema, one file at a time: the coordinator. It finds the
landing files and the table each gives rows to (`discover`), decides which must be read, in which order, and hands
each to the loader of its format, which writes its row files and its bookkeeping through pipelines/ingestion/store.py:

| format | loader |
| --- | --- |
| a landing table's CSV, Excel or Parquet files | pipelines/ingestion/load_delimited.py |
| the FINESS feed (`finess/`) | pipelines/ingestion/load_finess.py |
| the monthly DSN (`dsn/`) | pipelines/ingestion/load_dsn.py |
| the TDDUI FHIR exports (`fhir/`) | pipelines/ingestion/load_fhir.py |
| the accounts (`comptabilite/`) | pipelines/ingestion/fec_landing.py |

They share one context (pipelines/ingestion/load_context.py): the connection, the row files' folder, the key and the
persons met so far (pipelines/ingestion/persons_met.py). Each landing file becomes rows of `raw.<table>`: canonical
column names, text values as written, the source file (relative to the landing folder) and its line. Nothing is
typed or judged here beyond what needs the file itself: encoding, delimiter, header mapping, required columns,
malformed lines, personal data. Value rules are the dbt validation models' job.

Loads are idempotent and incremental: a file whose sha256 (and the pseudonym key and the ingestion version) did not
change since the last run is not read again; a changed file replaces its rows; a file gone from the folder has its
rows removed. The persons files are read first, then the professionals' (staff, DSN): their ids are met first. While
files are read, others are hashed in two threads: only a file loaded before waits for its hash to know whether it
changed.

Storage: the rows of each landing file are one Parquet file in the raw folder beside the warehouse
(`warehouse.duckdb` → `warehouse.raw/<table>/<row file>.parquet`), and `raw.<table>` is a view over the row files its
warehouse lists. A row file is named after the landing file, its sha256 and the key, and never rewritten: a run
builds a new warehouse (pipelines/run.py) whose views list the row files it uses, so the last good warehouse keeps
reading its own until the new one replaces it; row files no warehouse lists any more are deleted after the swap
(`store.collect_garbage`). The bookkeeping (`raw.ingested_files`, `raw.row_rejections`) stays in DuckDB tables,
copied from the last good warehouse at the start of a run (`store.carry_over`).
"""

from __future__ import annotations

import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from pipelines.ingestion import (
    dsn,
    fec,
    fec_landing,
    fhir,
    finess,
    formats,
    load_delimited,
    load_dsn,
    load_fhir,
    load_finess,
    readers,
    store,
)
from pipelines.ingestion.load_context import LandingFile, LoadContext, quarantine_whole
from pipelines.ingestion.mapping import load_custom_mappings
from pipelines.ingestion.persons_met import FIRST, PersonsMet
from pipelines.ingestion.pseudonym import key_fingerprint
from pipelines.ingestion.schema import TABLES

log = logging.getLogger("serafin.ingestion")

CONFIG_FILES = {"comptabilite.yaml", "cooperation.yaml", "cpom.yaml", "mappings.yaml", "readme.md", "readme.txt"}
CONFIG_DIRS = {"scenarios"}


def discover(landing: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """The (table, file) pairs of a landing folder, and the files that belong to no table."""
    found: list[tuple[str, Path]] = []
    unknown: list[Path] = []
    for entry in sorted(landing.iterdir()):
        name = entry.name
        if name.startswith(".") or name.lower() in CONFIG_FILES or name in CONFIG_DIRS:
            continue
        table = _plain_name(entry).rsplit(".", 1)[0].lower() if entry.is_file() else name.lower()
        if entry.is_dir() and table == fhir.FOLDER:  # TDDUI exports: each file gives rows to several tables
            for sub in sorted(p for p in entry.rglob("*") if p.is_file() and not p.name.startswith(".")):
                (found.append((fhir.SOURCE, sub)) if fhir.is_fhir_file(sub) else unknown.append(sub))
            continue
        if entry.is_dir() and table == fec.FOLDER:  # the accounts: FEC files and trial balances
            found.extend((fec.SOURCE, sub) for sub in sorted(p for p in entry.rglob("*")
                                                             if p.is_file() and not p.name.startswith(".")))
            continue
        if entry.is_dir() and table == dsn.FOLDER:  # the monthly DSN: every file of the folder
            found.extend((dsn.TABLE, sub) for sub in sorted(p for p in entry.rglob("*")
                                                            if p.is_file() and not p.name.startswith(".")))
            continue
        if entry.is_dir() and table == finess.FOLDER:  # the FINESS feed: each file says which table it holds
            for sub in sorted(p for p in entry.rglob("*") if p.is_file() and not p.name.startswith(".")):
                kind = finess.classify(sub)
                (found.append((kind, sub)) if kind else unknown.append(sub))
            continue
        if entry.is_file():
            if table in TABLES and _supported(entry):
                found.append((table, entry))
            else:
                unknown.append(entry)
        elif table in TABLES:
            for sub in sorted(p for p in entry.rglob("*") if p.is_file() and not p.name.startswith(".")):
                (found.append((table, sub)) if _supported(sub) else unknown.append(sub))
        else:
            unknown.extend(sorted(p for p in entry.rglob("*") if p.is_file()))
    return found, unknown


def _plain_name(path: Path) -> str:
    """The file name without a trailing .gz (`activity.csv.gz` is read as `activity.csv`)."""
    return path.name[:-3] if path.name.lower().endswith(".gz") else path.name


def _supported(path: Path) -> bool:
    return Path(_plain_name(path)).suffix.lower() in readers.SUPPORTED


def land_folder(con: duckdb.DuckDBPyConnection, landing: Path, key: bytes, raw: Path | None = None) -> store.LandingSummary:
    """Bring the raw schema in line with the landing folder; returns what happened to each file.
    `raw` is the folder of row files (by default the one beside the connection's warehouse file)."""
    landing = Path(landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist")
    for statement in store.raw_ddl():
        con.execute(statement)
    if raw is None:
        path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
        raw = store.raw_folder(Path(path))
    for table in [*TABLES, *fhir.RAW_TABLES, *fec.RAW_TABLES, *dsn.TABLES]:
        (raw / table).mkdir(parents=True, exist_ok=True)
    try:
        return _land(con, landing, key, raw)
    finally:
        store.refresh_views(con, raw)


def _land(con: duckdb.DuckDBPyConnection, landing: Path, key: bytes, raw: Path) -> store.LandingSummary:
    known = {row[0]: row[1:] for row in con.execute(
        "select file, sha256, key_fingerprint, ingest_version, source_table, status from raw.ingested_files"
    ).fetchall()}
    custom, mapping_problems = load_custom_mappings(landing)
    for problem in mapping_problems:
        log.warning(problem)
    files, unknown = discover(landing)
    # the persons first, then the professionals' files (staff, DSN): their ids are met first (PersonsMet)
    files.sort(key=lambda file: FIRST.get(file[0], len(FIRST)))
    summary = store.LandingSummary()
    present = {p.relative_to(landing).as_posix() for p in [*(p for _, p in files), *unknown]}
    for gone in sorted(set(known) - present):
        store.forget(con, raw, gone)
        summary.removed.append(gone)
        log.info("%s is no longer in the landing folder: its rows were removed", gone)
    # the files are hashed in two threads while they are compared and read: only a file this warehouse loaded
    # before, from the same key and ingestion version, waits for its hash to know whether it changed; a new file's
    # rows are read at once, its hash awaited when its row file is named
    with (tempfile.TemporaryDirectory(prefix="serafin-") as tmp, ThreadPoolExecutor(max_workers=1) as pool,
          ThreadPoolExecutor(max_workers=2) as hashing):
        ctx = LoadContext(con, raw, key, key_fingerprint(key), Path(tmp), PersonsMet(key))
        for path in unknown:  # every file of the landing folder is in the ingestion log, those no table takes too
            summary.outcomes.append(_record_unknown(ctx, landing, path))
        queue = [LandingFile(number, table, path, path.relative_to(landing).as_posix(),
                             hashing.submit(fec_landing.sha256_of if table == fec.SOURCE else readers.sha256_of, path))
                 for number, (table, path) in enumerate(files)]
        changed = []
        for file in queue:
            outcome = _unchanged(ctx, file, known.get(file.rel))
            if outcome:
                summary.outcomes.append(outcome)
            else:
                changed.append(file)
        summary.outcomes.extend(_load_changed(ctx, changed, custom, pool))
    return summary


def _unchanged(ctx: LoadContext, file: LandingFile, seen: tuple | None) -> store.FileOutcome | None:
    """A file this warehouse loaded before, from the same key and ingestion version, with the same sha256 (and its
    row file still there): not read again. `seen`: its line of `raw.ingested_files` (none: a new file)."""
    if not seen or seen[1:4] != (ctx.fingerprint, store.INGEST_VERSION, file.table):
        return None
    main = {fhir.SOURCE: "fhir_index", fec.SOURCE: "fec_files"}.get(file.table, file.table)
    sha = file.sha
    if seen[0] == sha and (seen[4] == "rejected" or store.row_file(ctx.raw, main, file.rel, sha, ctx.fingerprint).exists()):
        log.info("%s unchanged since the last run (sha256 %s…): not read again", file.rel, sha[:12])
        return store.FileOutcome(file.rel, file.table, "unchanged")
    return None


def _load_changed(ctx: LoadContext, changed: list[LandingFile], custom: dict[str, dict[str, str]],
                  pool: ThreadPoolExecutor) -> list[store.FileOutcome]:
    """Each changed file through the loader of its format, in the order of `changed`. The FHIR files are indexed
    first (their references cross files); the CSV files are made UTF-8 text one ahead in `pool`: the next file is
    transcoded while DuckDB reads this one."""
    fhir_index = load_fhir.index(ctx, [(file.path, file.rel) for file in changed if file.table == fhir.SOURCE])
    texts = {file.rel: pool.submit(readers.prepare_csv, file.path, ctx.workdir, file.work_name)
             for file in changed if file.table in TABLES and formats.is_csv(Path(_plain_name(file.path)))}
    outcomes = []
    for file in changed:
        if file.table == fhir.SOURCE:
            outcome = load_fhir.land(ctx, file, fhir_index)
        elif file.table == fec.SOURCE:
            outcome = fec_landing.land_file(ctx.con, file.path, file.rel, (file.sha, ctx.fingerprint), ctx.workdir,
                                            ctx.raw)
        elif file.table == dsn.TABLE:
            outcome = load_dsn.land(ctx, file)
        elif file.table in finess.TABLES:
            outcome = load_finess.land(ctx, file)
        else:
            outcome = load_delimited.land(ctx, file, custom.get(file.table, {}), texts.get(file.rel))
        outcomes.append(outcome)
    return outcomes


def _record_unknown(ctx: LoadContext, landing: Path, path: Path) -> store.FileOutcome:
    """A file of the landing folder that no table takes (an empty or damaged FINESS file, a file of another kind):
    quarantined whole with the sentence that says why, so that it is in the ingestion log like every file."""
    rel = path.relative_to(landing).as_posix()
    top = rel.split("/", 1)[0].lower()
    if top == finess.FOLDER and "/" in rel:
        table, reason = finess.guess_table(path) or "unknown", finess.unclassified_reason(path, rel)
    elif top == fhir.FOLDER and "/" in rel:
        table, reason = fhir.SOURCE, f"{rel} is not a FHIR file (its name should end with .json or .ndjson)"
    else:
        table, reason = "unknown", f"{rel} belongs to no landing table (expected one of {', '.join(TABLES)})"
    outcome = quarantine_whole(ctx, table, rel, readers.sha256_of(path), reason)
    (log.error if table != "unknown" else log.warning)("%s rejected whole: %s", rel, reason)
    return outcome
