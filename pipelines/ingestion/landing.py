"""Land a folder of exports into the warehouse's `raw` schema, one file at a time.

Each landing file becomes rows of `raw.<table>`: canonical column names, text values as written,
the source file (relative to the landing folder) and its line. Nothing is typed or judged here
beyond what needs the file itself: encoding, delimiter, header mapping, required columns, malformed
lines, personal data. Value rules are the dbt validation models' job.

Loads are idempotent and incremental: a file whose sha256 (and the pseudonym key and the ingestion
version) did not change since the last run is not read again; a changed file replaces its rows; a
file gone from the folder has its rows removed.

Storage: the rows of each landing file are one Parquet file in the raw folder beside the warehouse
(`warehouse.duckdb` → `warehouse.raw/<table>/<row file>.parquet`), and `raw.<table>` is a view over
the row files its warehouse lists. A CSV file is read by DuckDB straight into its row file, in file
order, with no copy of its rows in between: one COPY that maps, trims and pseudonymises from the
person ids the run has met (the persons files are read first; a pseudonym is computed once per id);
a file naming someone new is read again, its person ids alone, then the COPY (`_PersonsMet`;
benchmarks/RESULTS.md: within the time of a bare DuckDB read of the same files). While files are
read, others are hashed in two threads: only a file loaded before waits for its hash to know
whether it changed. Its rows carry no line: a row's line is
its position + 2, which the views give (`file_row_number`), unless malformed lines shift them (then
the lines are written). A row file is named after the landing file, its sha256 and the key, and never
rewritten: a run builds a new warehouse (pipelines/run.py) whose views list the row files it uses,
so the last good warehouse keeps reading its own until the new one replaces it; row files no
warehouse lists any more are deleted after the swap (`store.collect_garbage`). The bookkeeping
(`raw.ingested_files`, `raw.row_rejections`) stays in DuckDB tables, copied from the last good
warehouse at the start of a run (`store.carry_over`).

Privacy: a malformed line's text is never stored. `raw.row_rejections.value` holds the fields of a
line cut short that can be matched to their headers, without the person id and the personal-data
columns; a line with too many fields or a broken quote has no value, only its line and reason.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb

from pipelines.ingestion import dsn, fec, fec_landing, fhir, finess, formats, readers, store
from pipelines.ingestion.mapping import HeaderMapping, load_custom_mappings, map_headers
from pipelines.ingestion.pseudonym import PROFESSIONAL_PREFIX, key_fingerprint, pseudonymise
from pipelines.ingestion.schema import TABLES, Table, header_score

log = logging.getLogger("serafin.ingestion")

FIRST = {"persons": 0, "staff": 1, dsn.TABLE: 2}  # the order files are read in: whose ids are met first
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
    fingerprint = key_fingerprint(key)
    known = {row[0]: row[1:] for row in con.execute(
        "select file, sha256, key_fingerprint, ingest_version, source_table, status from raw.ingested_files"
    ).fetchall()}
    custom, mapping_problems = load_custom_mappings(landing)
    for problem in mapping_problems:
        log.warning(problem)
    files, unknown = discover(landing)
    # the persons first, then the professionals' files (staff, DSN): their ids are met first (_PersonsMet)
    files.sort(key=lambda file: FIRST.get(file[0], len(FIRST)))
    summary = store.LandingSummary()
    present = {p.relative_to(landing).as_posix() for p in [*(p for _, p in files), *unknown]}
    for gone in sorted(set(known) - present):
        store.forget(con, raw, gone)
        summary.removed.append(gone)
        log.info("%s is no longer in the landing folder: its rows were removed", gone)
    for path in unknown:  # every file of the landing folder is in the ingestion log, those no table takes too
        summary.outcomes.append(_record_unknown(con, raw, landing, path, fingerprint))

    # the files are hashed in two threads while they are compared and read: only a file this warehouse loaded
    # before, from the same key and ingestion version, waits for its hash to know whether it changed; a new file's
    # rows are read at once, its hash awaited when its row file is named
    with (tempfile.TemporaryDirectory(prefix="serafin-") as tmp, ThreadPoolExecutor(max_workers=1) as pool,
          ThreadPoolExecutor(max_workers=2) as hashing):
        hashes = {rel: hashing.submit(fec_landing.sha256_of if t == fec.SOURCE else readers.sha256_of, path)
                  for rel, path, t in ((p.relative_to(landing).as_posix(), p, t) for t, p in files)}
        changed = []
        for number, (table_name, path) in enumerate(files):
            rel = path.relative_to(landing).as_posix()
            seen = known.get(rel)
            main = {fhir.SOURCE: "fhir_index", fec.SOURCE: "fec_files"}.get(table_name, table_name)
            if seen and seen[1:4] == (fingerprint, store.INGEST_VERSION, table_name):
                sha = hashes[rel].result()
                if seen[0] == sha and (seen[4] == "rejected" or store.row_file(raw, main, rel, sha, fingerprint).exists()):
                    summary.outcomes.append(store.FileOutcome(rel, table_name, "unchanged"))
                    log.info("%s unchanged since the last run (sha256 %s…): not read again", rel, sha[:12])
                    continue
            changed.append((number, table_name, path, rel, hashes[rel]))
        met = _PersonsMet(key)
        fhir_index = _index_fhir(con, raw, key, [(path, rel) for _, t, path, rel, _ in changed if t == fhir.SOURCE],
                                 Path(tmp))
        # the CSV files made UTF-8 text one ahead: the next file is transcoded while DuckDB reads this one
        texts = {rel: pool.submit(readers.prepare_csv, path, Path(tmp), _work_name(number))
                 for number, table_name, path, rel, _ in changed
                 if table_name in TABLES and formats.is_csv(Path(_plain_name(path)))}
        for number, table_name, path, rel, digest in changed:
            if table_name == fhir.SOURCE:
                outcome = _land_fhir_file(con, path, rel, digest.result(), key, fingerprint, raw, fhir_index)
            elif table_name == fec.SOURCE:
                outcome = fec_landing.land_file(con, path, rel, (digest.result(), fingerprint), Path(tmp), raw)
            elif table_name == dsn.TABLE:
                outcome = _land_dsn_file(con, path, rel, digest.result(), met, fingerprint, raw)
            elif table_name in finess.TABLES:
                outcome = _land_finess_file(con, table_name, path, rel, digest.result(), fingerprint, Path(tmp), raw)
            else:
                outcome = _land_file(con, TABLES[table_name], path, rel, digest, met, fingerprint,
                                     custom.get(table_name, {}), Path(tmp), number, raw, texts.get(rel))
            summary.outcomes.append(outcome)
    return summary


def _record_unknown(con, raw: Path, landing: Path, path: Path, fingerprint: str) -> store.FileOutcome:
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
    with store.transaction(con):
        store.forget(con, raw, rel)
        con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                    [table, rel, f"whole file rejected: {reason}"])
        store.record(con, rel, table, readers.sha256_of(path), 0, "rejected", reason, fingerprint)
    (log.error if table != "unknown" else log.warning)("%s rejected whole: %s", rel, reason)
    return store.FileOutcome(rel, table, "rejected", 0, reason)


def _work_name(number: int) -> str:
    """The name of a landing file's temporary table and of its work files (`<name>.utf8.csv`...)."""
    return f"__landing_{number}"


def _land_file(con, table: Table, path: Path, rel: str, digest: Future, met: _PersonsMet, fingerprint: str,
               custom: dict[str, str], workdir: Path, number: int, raw: Path, text=None) -> store.FileOutcome:
    """One landing file of a table → its Parquet row file. `digest`: the file's sha256, being computed; its rows are
    written under a work name meanwhile, and the row file named after it (`_row_file`) once they are committed."""
    tmp = _work_name(number)
    pending = raw / table.name / (tmp + ".parquet.tmp")  # store.collect_garbage removes one a killed run left
    try:
        try:
            result = formats.read_any(con, path, tmp, workdir, header_score(table), text.result() if text else None)
        except readers.UnreadableFile as exc:
            with store.transaction(con):
                store.forget(con, raw, rel)
                return _reject_file(con, table, rel, digest.result(), fingerprint, 0, f"file could not be read: {exc}")
        mapping = map_headers(result.headers, table, custom)
        meta = {"format": result.fmt, "encoding": result.encoding, "delimiter": result.delimiter,
                    "dropped": ", ".join(mapping.personal), "ignored": ", ".join(mapping.ignored)}
        if result.note:
            log.info("%s: %s", rel, result.note)
        if mapping.personal:
            log.warning("%s: personal-data columns never loaded: %s", rel, ", ".join(mapping.personal))
        if mapping.missing_required:
            missing = ", ".join(mapping.missing_required)
            found = ", ".join(result.headers)
            if result.lazy:  # the rows of a CSV file are counted by reading it
                with contextlib.suppress(readers.UnreadableFile):
                    result.rows = readers.scan(con, result, lambda rows: f"select count(*) from {rows} t")[0][0]
                result.rows = max(result.rows, 0)
            with store.transaction(con):
                store.forget(con, raw, rel)
                return _reject_file(con, table, rel, digest.result(), fingerprint,
                                    result.rows + len(result.malformed),
                                    f"required column(s) {missing} missing; the file's headers are: {found}",
                                    **meta)
        try:
            _write_rows(con, table, result, mapping, rel, met, pending)
        except readers.UnreadableFile as exc:  # a CSV file DuckDB could not read to its end
            with store.transaction(con):
                store.forget(con, raw, rel)
                return _reject_file(con, table, rel, digest.result(), fingerprint, 0, f"file could not be read: {exc}",
                                    **meta)
        meta["encoding"] = result.encoding  # a CSV file found not to be UTF-8 further down was read again
        with store.transaction(con):
            store.forget(con, raw, rel)
            for line, text, reason in result.malformed:
                con.execute("insert into raw.row_rejections values (?, ?, ?, ?, ?, ?)",
                            [table.name, rel, line, None, safe_fields(text, result, mapping, table), reason])
            rows_read = result.rows + len(result.malformed)
            sha = digest.result()
            store.record(con, rel, table.name, sha, rows_read, "loaded", result.note, fingerprint, **meta)
        # after the commit: a crash before it leaves the file to be read again
        os.replace(pending, store.row_file(raw, table.name, rel, sha, fingerprint))
        log.info("%s → raw.%s: %d rows read%s (%s%s)", rel, table.name, rows_read,
                 f", {len(result.malformed)} malformed" if result.malformed else "", result.fmt,
                 f", {result.encoding}, '{result.delimiter}'" if result.fmt == "csv" else "")
        return store.FileOutcome(rel, table.name, "loaded", rows_read)
    finally:
        con.execute(f"drop table if exists {tmp}")
        for work_file in workdir.glob(tmp + ".*"):  # its UTF-8 copy, if any
            work_file.unlink(missing_ok=True)
        pending.unlink(missing_ok=True)  # a row file written for a load that did not commit


def _land_finess_file(con, table: str, path: Path, rel: str, sha: str, fingerprint: str, workdir: Path,
                      raw: Path) -> store.FileOutcome:
    """One file of the FINESS feed (pipelines/ingestion/finess.py) → its Parquet row file, like any landing file.
    FINESS holds no personal data: nothing to pseudonymise."""
    target = store.row_file(raw, table, rel, sha, fingerprint)
    pending = target.with_name(target.name + ".tmp")
    cut: list[str] = []  # a JSON feed cut short: the entities before the cut are loaded, the sentence says so
    try:
        tmp = finess.read_file(con, path, table, rel, workdir, cut)
    except finess.FinessProblem as exc:
        with store.transaction(con):
            store.forget(con, raw, rel)
            con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                        [table, rel, f"whole file rejected: {exc}"])
            store.record(con, rel, table, sha, 0, "rejected", str(exc), fingerprint)
        log.error("%s rejected whole: %s", rel, exc)
        return store.FileOutcome(rel, table, "rejected", 0, str(exc))
    try:
        rows = con.execute(f"select count(*) from {tmp}").fetchone()[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy {tmp} to '{str(pending).replace(chr(39), chr(39) * 2)}' (format parquet)")
        fmt = "json" if finess.is_json(path) else "csv"
        with store.transaction(con):
            store.forget(con, raw, rel)
            for reason in cut:  # the entity the cut went through: one row read and quarantined
                con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)", [table, rel, reason])
            store.record(con, rel, table, sha, rows + len(cut), "loaded", " ".join(cut), fingerprint, format=fmt)
        os.replace(pending, target)
        for reason in cut:
            log.error(reason)
        log.info("%s → raw.%s: %d rows read (FINESS %s)", rel, table, rows, fmt)
        return store.FileOutcome(rel, table, "loaded", rows + len(cut), " ".join(cut))
    finally:
        con.execute(f"drop table if exists {tmp}")
        pending.unlink(missing_ok=True)


def _land_dsn_file(con, path: Path, rel: str, sha: str, met: _PersonsMet, fingerprint: str,
                   raw: Path) -> store.FileOutcome:
    """One monthly DSN file (pipelines/ingestion/dsn.py) → its Parquet row file of `raw.dsn_contracts`, its unreadable
    lines quarantined (never an identity field's value). The matricules are met as professional ids."""
    target = store.row_file(raw, dsn.TABLE, rel, sha, fingerprint)
    pending = target.with_name(target.name + ".tmp")
    try:
        read = dsn.read_file(path, met.professional)
    except (dsn.DsnProblem, OSError, EOFError) as exc:
        with store.transaction(con):
            store.forget(con, raw, rel)
            con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                        [dsn.TABLE, rel, f"whole file rejected: {exc}"])
            store.record(con, rel, dsn.TABLE, sha, 0, "rejected", str(exc), fingerprint, format="dsn")
        log.error("%s rejected whole: %s", rel, exc)
        return store.FileOutcome(rel, dsn.TABLE, "rejected", 0, str(exc))
    try:
        sink = _Sink(pending, list(dsn.COLUMNS), rel)
        for row in read.rows:
            sink.add(row)
        rows = sink.close()
        if read.note:
            log.info("%s: %s", rel, read.note)
        with store.transaction(con):
            store.forget(con, raw, rel)
            for line, column, value, reason in read.rejections:
                con.execute("insert into raw.row_rejections values (?, ?, ?, ?, ?, ?)",
                            [dsn.TABLE, rel, line, column, value, reason])
            store.record(con, rel, dsn.TABLE, sha, rows + len(read.rejections), "loaded", read.note, fingerprint,
                    format="dsn")
        os.replace(pending, target)
        log.info("%s → raw.%s: %d contract rows from %d lines (month %s)%s", rel, dsn.TABLE, rows, read.lines,
                 read.month or "not declared",
                 f", {len(read.rejections)} lines quarantined" if read.rejections else "")
        return store.FileOutcome(rel, dsn.TABLE, "loaded", rows)
    finally:
        pending.unlink(missing_ok=True)


class _Sink:
    """Rows of one table for one landing file, written to its Parquet row file in batches (all text, as a CSV
    gives them, with the source file and line), so a file of a million events never sits whole in memory."""

    BATCH = 50_000

    def __init__(self, path: Path, columns: list[str], rel: str):
        self.path, self.columns, self.rel = path, columns, rel
        self.buffer: list[dict] = []
        self.writer = None
        self.rows = 0

    def add(self, row: dict) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.buffer and self.writer is not None:
            return
        schema = pa.schema([(c, pa.string()) for c in self.columns] + [("_file", pa.string()), ("_line", pa.int64())])
        data = {c: [None if r.get(c) is None else str(r[c]) for r in self.buffer] for c in self.columns}
        data["_file"] = [self.rel] * len(self.buffer)
        data["_line"] = [r["_line"] for r in self.buffer]
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(str(self.path), schema, compression="none")
        self.writer.write_table(pa.table(data, schema=schema))
        self.rows += len(self.buffer)
        self.buffer = []

    def close(self) -> int:
        self.flush()
        if self.writer is not None:
            self.writer.close()
        return self.rows


def _index_fhir(con, raw: Path, key: bytes, changed: list[tuple[Path, str]], workdir: Path) -> dict:
    """Pass 1 over the changed FHIR files (pipelines/ingestion/fhir/): each read once into its work files, the
    resources references point to, per file, and those of the unchanged FHIR files read back from their index row
    files."""
    per_file: dict[str, list[tuple]] = {}
    problems: dict[str, str] = {}
    staged: dict[str, fhir.Staged] = {}
    for number, (path, rel) in enumerate(changed):
        if path.stat().st_size == 0:  # quarantined, not loaded as a file of no resources
            problems[rel] = f"{rel} is empty (0 bytes): export it again"
            continue
        try:
            staged[rel], per_file[rel] = fhir.index_file(con, path, key, workdir / "fhir", f"f{number}")
        except (fhir.FhirProblem, ValueError, *finess.UNREADABLE) as exc:  # a cut, corrupt or empty file
            problem = str(exc) if isinstance(exc, fhir.FhirProblem) else finess.reading_problem(exc)
            problems[rel] = f"{rel} cannot be read whole ({problem}): nothing of it is loaded; export it again"
    # the other FHIR files' index rows (a changed file's old rows are left out: its new ones replace them)
    kept = [str(p) for p in store.listed_row_files(con, raw).get("fhir_index", []) if p.exists()]
    others: list[tuple] = []
    if kept:
        files = ", ".join("'" + k.replace("'", "''") + "'" for k in kept)
        others = con.execute(f"select resource_type, resource_id, full_url, value, _file from read_parquet([{files}])"
                             ).fetchall()
    everything = [r[:4] for r in others if r[4] not in per_file and r[4] not in problems]
    everything += [r for rows in per_file.values() for r in rows]
    return {"per_file": per_file, "problems": problems, "all": everything, "staged": staged}


def _land_fhir_file(con, path: Path, rel: str, sha: str, key: bytes, fingerprint: str, raw: Path,
                    indexed: dict) -> store.FileOutcome:
    """Pass 2 over one FHIR file: its rows for each landing table (one row file per table), its unmapped events,
    its index row file, its quarantined resources; recorded as one file of the ingestion log."""
    if rel in indexed["problems"]:
        with store.transaction(con):
            store.forget(con, raw, rel)
            con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                        [fhir.SOURCE, rel, f"whole file rejected: {indexed['problems'][rel]}"])
            store.record(con, rel, fhir.SOURCE, sha, 0, "rejected", indexed["problems"][rel], fingerprint, format="fhir")
        log.error("%s rejected whole: %s", rel, indexed["problems"][rel])
        return store.FileOutcome(rel, fhir.SOURCE, "rejected", 0, indexed["problems"][rel])
    index = fhir.Index(key)
    index.add(indexed["all"], local=False)
    index.add(indexed["per_file"][rel], local=True)
    columns = {t: TABLES[t].column_names for t in fhir.TARGETS}
    columns["fhir_unmapped_events"] = list(fhir.UNMAPPED_COLUMNS)
    sinks = {t: _Sink(store.row_file(raw, t, rel, sha, fingerprint).with_suffix(".parquet.tmp"), c, rel)
             for t, c in columns.items() if t not in fhir.SQL_TABLES}  # the Encounters' tables: written by DuckDB
    mapper = fhir.Mapper(key, index, fhir.linkid_table(), fhir.esms_category_codes(),
                         lambda table, row: sinks[table].add(row))
    staged = indexed["staged"][rel]
    fmt = "fhir-" + staged.layout
    try:
        out, sql_rows = fhir.map_file(con, staged, mapper, rel, {
            t: store.row_file(raw, t, rel, sha, fingerprint).with_suffix(".parquet.tmp") for t in fhir.SQL_TABLES})
        index_sink = _Sink(store.row_file(raw, "fhir_index", rel, sha, fingerprint).with_suffix(".parquet.tmp"),
                           list(fhir.INDEX_COLUMNS), rel)
        for kind, rid, url, value in indexed["per_file"][rel]:
            index_sink.add({"resource_type": kind, "resource_id": rid, "full_url": url, "value": value, "_line": 0})
        index_sink.close()
        written = {**{t: sink.close() for t, sink in sinks.items()}, **sql_rows}
        rows_read = sum(written.values()) + len(out.rejections)
        resources = ", ".join(f"{n} {k}" for k, n in sorted(out.resources.items(), key=lambda kv: -kv[1]))
        rows = ", ".join(f"{n} {t}" for t, n in written.items() if n)
        note = f"{resources}; rows: {rows or 'none'}"
        with store.transaction(con):
            store.forget(con, raw, rel)
            for table, line, column, value, reason in out.rejections:
                con.execute("insert into raw.row_rejections values (?, ?, ?, ?, ?, ?)",
                            [table, rel, line, column, value, reason])
            store.record(con, rel, fhir.SOURCE, sha, rows_read, "loaded", note, fingerprint, format=fmt)
        for table in [*columns, "fhir_index"]:
            pending = store.row_file(raw, table, rel, sha, fingerprint).with_suffix(".parquet.tmp")
            if pending.exists():
                os.replace(pending, pending.with_suffix(""))
        log.info("%s → %s (%s)", rel, rows or "no rows", resources)
        return store.FileOutcome(rel, fhir.SOURCE, "loaded", rows_read)
    except (fhir.FhirProblem, ValueError, *finess.UNREADABLE) as exc:  # a cut, corrupt or empty file
        with store.transaction(con):
            store.forget(con, raw, rel)
            con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                        [fhir.SOURCE, rel, f"whole file rejected: {exc}"])
            store.record(con, rel, fhir.SOURCE, sha, 0, "rejected", str(exc), fingerprint, format=fmt)
        log.error("%s rejected whole: %s", rel, exc)
        return store.FileOutcome(rel, fhir.SOURCE, "rejected", 0, str(exc))
    finally:
        for table in [*columns, "fhir_index"]:
            store.row_file(raw, table, rel, sha, fingerprint).with_suffix(".parquet.tmp").unlink(missing_ok=True)


def safe_fields(text: str, result: readers.ReadResult, mapping: HeaderMapping, table: Table) -> str | None:
    """What of a malformed line may be stored: when the line has no more fields than the header, the
    fields under a known, non-personal column (`event_id=e8, finess_et=690000013`); the person id and
    every column the personal-data rule drops are left out. A line with more fields than the header
    (a stray delimiter in a name shifts every field after it) or an unreadable one: nothing."""
    import csv

    delimiter = {"tab": "\t"}.get(result.delimiter, result.delimiter) or ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return None
    if len(rows) != 1 or len(rows[0]) > len(result.headers):
        return None
    # a field holding another delimiter is a line written with another separator (`e7,A,690000013` in a `;`
    # file): its fields cannot be matched to the headers, and the person id may be inside one of them
    if any(other in field for field in rows[0] for other in ",;\t|" if other != delimiter):
        return None
    safe = {source: column for column, source in mapping.columns.items()
            if not next(c for c in table.columns if c.name == column).pseudonymise}
    kept = [f"{safe[h]}={v.strip()}" for h, v in zip(result.headers, rows[0]) if h in safe and v.strip()]
    return ", ".join(kept)[:500] or None


# uncompressed (dictionary-encoded all the same): measured 11.9 s for 5 M rows against 15.5 s with snappy; in file
# order whatever the connection's preserve_insertion_order (a row's line is its position)
ROW_FILE_OPTIONS = "(format parquet, compression uncompressed, preserve_order true)"


def _write_rows(con, table: Table, result: readers.ReadResult, mapping: HeaderMapping, rel: str,
                met: _PersonsMet, target: Path) -> None:
    """The file's rows, mapped to the table's canonical columns and pseudonymised, as one Parquet file, straight
    from the file in file order (a projection: a join would reorder them; the pseudonyms are looked up through an
    ENUM of the person ids, `_PersonsMet`)."""
    encoding = result.encoding
    written = _copy_rows(con, table, result, mapping, rel, met, target)
    if result.encoding != encoding:
        # not UTF-8 further down: the file was transcoded while its rows were written, its person ids read as they
        # were; write them again from the transcoded text, so an accented id keeps its pseudonym
        written = _copy_rows(con, table, result, mapping, rel, met, target)
    if result.lazy:
        result.rows = int(written[0][0])
        if result.malformed:  # the lines after a malformed one shift: their lines are written
            renumbered = target.with_name(target.name + ".lines")
            con.execute(f"copy (select * exclude (file_row_number) replace "
                        f"({readers.line_numbers(result, 'file_row_number')} as _line) "
                        f"from read_parquet({_sql_path(target)}, file_row_number = true)) "
                        f"to {_sql_path(renumbered)} {ROW_FILE_OPTIONS}")
            os.replace(renumbered, target)


def _copy_rows(con, table: Table, result: readers.ReadResult, mapping: HeaderMapping, rel: str, met: _PersonsMet,
               target: Path) -> list[tuple]:
    """One COPY of the file's rows into `target`, their person ids pseudonymised from the ids met so far; when the
    file names a person not met yet, one read of its person ids, then the COPY again. Returns what the COPY returns."""
    persons = [(c.name, mapping.columns[c.name]) for c in table.columns
               if c.pseudonymise and mapping.columns.get(c.name) is not None]
    if persons and met.speculate(table):
        written = _copy(con, table, result, mapping, rel, met, target, speculative=True)
        if not any(con.execute(f"select 1 from read_parquet({_sql_path(target)}) where {name} = ? limit 1",
                               [_PersonsMet.NOT_MET]).fetchone() for name, _ in persons):
            return written
        met.missed = True
        log.info("%s names persons the persons files do not list: read again, its person ids first, and so is "
                 "each file after it", rel)
    for _, source in persons:
        met.add(_person_ids(con, result, source), table)
    return _copy(con, table, result, mapping, rel, met, target)


def _copy(con, table: Table, result: readers.ReadResult, mapping: HeaderMapping, rel: str, met: _PersonsMet,
          target: Path, speculative: bool = False) -> list[tuple]:
    """The COPY of `_copy_rows`. `speculative`: a person id not met yet gets `_PersonsMet.NOT_MET` for pseudonym
    (the file is then written again); otherwise null, as a row the ids' read could not parse."""
    selects, lookups = [], []
    if met.pseudonyms:
        met.prepare(con)
    for column in table.columns:
        source = mapping.columns.get(column.name)
        if source is None:
            selects.append(f"cast(null as varchar) as {column.name}")
            continue
        expr = _trimmed(f"t.{_q(source)}")
        if column.pseudonymise:
            lookup = "cast(null as varchar)"
            if met.pseudonyms:
                lookup = (f"list_extract((select pseudonyms from {_PersonsMet.LIST}), "
                          f"enum_code(try_cast({expr} as {_PersonsMet.ENUM})) + 1)")
            if speculative:
                lookup = f"coalesce({lookup}, case when {expr} is not null then '{_PersonsMet.NOT_MET}' end)"
            if column.professional:  # the same HMAC, the professionals' prefix (pseudonym.pseudonymise_professional)
                lookup = (f"case when prefix({lookup}, 'P') then '{PROFESSIONAL_PREFIX}' || substr({lookup}, 2) "
                          f"else {lookup} end")
            lookups.append(f"{lookup} as __pseudonym_{column.name}")
            expr = f"t.__pseudonym_{column.name}"
        elif column.year_only:
            expr = f"nullif(regexp_extract({expr}, '([0-9]{{4}})', 1), '')"
        elif column.carries_person and "person_id" in mapping.columns:
            # an id built from the person's id (PP-U000084-2023) keeps its shape with the pseudonym in it
            original = _trimmed(f"t.{_q(mapping.columns['person_id'])}")
            expr = (f"case when length({original}) >= 4 and contains({expr}, {original}) "
                    f"then replace({expr}, {original}, t.__pseudonym_person_id) else {expr} end")
        selects.append(f"{expr} as {column.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    return readers.scan(con, result, lambda rows: (
        f"copy (select {', '.join(selects)}, cast($1 as varchar) as _file, {result.line_expr} as _line "
        f"from (select *{''.join(', ' + lookup for lookup in lookups)} from {rows} t) t) "
        f"to {_sql_path(target)} {ROW_FILE_OPTIONS}"), [rel])


SCRATCH = "serafin_scratch"  # an in-memory catalog for the ENUM of the person ids met (not the warehouse)


class _PersonsMet:
    """The person ids this run has met and their pseudonyms (HMAC in Python), in memory only, and an ENUM type of
    those ids in the in-memory scratch catalog, through which a COPY gives each row its pseudonym. The persons
    files are read first, so most files name no one new: their rows are written at once, without a read of their
    person ids apart (a second read of the file, about a sixth of the ingestion's time). Once a file names someone
    new (persons files that do not list everyone), each file after it is read the safe way, its ids first: at most
    one file a run is written twice."""

    ENUM = f"{SCRATCH}.persons_met"
    # one row, the pseudonyms in the ENUM's order: read by a scalar subquery, evaluated once. The same list given
    # as a query parameter is a constant DuckDB copies into every vector of 2,048 rows it reads: with 60,000
    # persons, most of the time of a region's ingestion (1.85 times the bare read)
    LIST = f"{SCRATCH}.persons_met_pseudonyms"
    NOT_MET = "?"  # never a pseudonym ('P' and hexadecimal digits)

    def __init__(self, key: bytes):
        self.key = key
        self.by_id: dict[str, str] = {}
        self._size = 0  # how many ids the ENUM holds
        self.from_persons = False  # a persons file was read
        self.missed = False  # a file named someone not met before it

    @property
    def pseudonyms(self) -> bool:
        return bool(self.by_id)

    def speculate(self, table: Table) -> bool:
        """Whether a file of `table` is first written with the ids met so far. The files whose ids are met first
        (persons, staff: FIRST) are read the safe way, their ids first, without counting as a file that named
        someone new."""
        return FIRST.get(table.name) is None and self.from_persons and not self.missed and self.pseudonyms

    def professional(self, original: str) -> str:
        """A professional id met in a file read by Python (a DSN matricule): its pseudonym, the id met."""
        original = original.strip()
        if original not in self.by_id:
            self.by_id[original] = pseudonymise(self.key, original)
        return PROFESSIONAL_PREFIX + self.by_id[original][1:]

    def add(self, originals: list[str], table: Table) -> None:
        self.from_persons = self.from_persons or table.name == "persons"
        for original in originals:
            if original not in self.by_id:
                self.by_id[original] = pseudonymise(self.key, original)

    def prepare(self, con) -> None:
        """The ENUM of the ids met and the list of their pseudonyms, made again when ids were added."""
        if self._size != len(self.by_id):
            con.execute(f"attach if not exists ':memory:' as {SCRATCH}")
            con.execute(f"drop type if exists {self.ENUM}")
            con.execute(f"create type {self.ENUM} as enum (select unnest($1::varchar[]))", [list(self.by_id)])
            ordered = con.execute(f"select enum_range(null::{self.ENUM})").fetchone()[0]
            con.execute(f"create or replace table {self.LIST} as select $1::varchar[] as pseudonyms",
                        [[self.by_id[original] for original in ordered]])
            self._size = len(self.by_id)


def _trimmed(expr: str) -> str:
    """`nullif(trim(x), '')`, trimming only the values that may need it. DuckDB's trim copies every value and
    tests each character for a Unicode space (2.4 s over the 55 M cells of 5 M activity rows); an ASCII value
    with no space at either end is already trimmed (strlen counts bytes, length characters)."""
    return (f"case when {expr} = '' then null when prefix({expr}, ' ') or suffix({expr}, ' ') "
            f"or strlen({expr}) <> length({expr}) then nullif(trim({expr}), '') else {expr} end")


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _person_ids(con, result: readers.ReadResult, source: str) -> list[str]:
    """The file's distinct person ids, trimmed."""
    value = _trimmed("v")
    # read leniently, without DuckDB's reject store: a one-column read that stores rejects fails inside DuckDB on a
    # line that is not UTF-8 (an internal error that invalidates the database); the COPY after it reports the lines
    return [r[0] for r in readers.scan(con, result, lambda rows: (
        f"select distinct {value} from (select distinct t.{_q(source)} as v from {rows} t) where {value} is not null"),
        lenient=True)]


def _reject_file(con, table: Table, rel: str, sha: str, fingerprint: str, rows: int, reason: str,
                 **meta: str) -> store.FileOutcome:
    log.error("%s rejected whole: %s", rel, reason)
    con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)",
                [table.name, rel, f"whole file rejected: {reason}"])
    store.record(con, rel, table.name, sha, rows, "rejected", reason, fingerprint, **meta)
    return store.FileOutcome(rel, table.name, "rejected", rows, reason)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


