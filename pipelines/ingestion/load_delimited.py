"""The loader of the landing tables' own files (delimited text, Excel, Parquet, read by
pipelines/ingestion/formats.py and readers.py): one file → its Parquet row file of `raw.<table>`, its columns mapped
to the table's canonical names (pipelines/ingestion/mapping.py), its person ids pseudonymised, its malformed lines
quarantined.

A CSV file is read by DuckDB straight into its row file, in file order, with no copy of its rows in between: one
COPY that maps, trims and pseudonymises from the person ids the run has met (the persons files are read first; a
pseudonym is computed once per id); a file naming someone new is read again, its person ids alone, then the COPY
(pipelines/ingestion/persons_met.py; benchmarks/RESULTS.md: within the time of a bare DuckDB read of the same
files). Its rows carry no line: a row's line is its position + 2, which the views give (`file_row_number`), unless
malformed lines shift them (then the lines are written).

Privacy: a malformed line's text is never stored. `raw.row_rejections.value` holds the fields of a line cut short
that can be matched to their headers, without the person id and the personal-data columns; a line with too many
fields or a broken quote has no value, only its line and reason.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingestion import formats, readers, store
from pipelines.ingestion.load_context import LandingFile, LoadContext, quarantine_whole
from pipelines.ingestion.mapping import HeaderMapping, map_headers
from pipelines.ingestion.persons_met import PersonsMet
from pipelines.ingestion.pseudonym import PROFESSIONAL_PREFIX
from pipelines.ingestion.schema import ROW_FILE, TABLES, Table, header_score
from pipelines.ingestion.sql_values import literal as _sql_path

log = logging.getLogger("serafin.ingestion")

ROW_FILE_OPTIONS = f"({ROW_FILE})"  # in file order whatever the connection's preserve_insertion_order


@dataclass(frozen=True)
class _Source:
    """A file read and its headers mapped: what its rows are written from."""

    table: Table
    result: readers.ReadResult
    mapping: HeaderMapping
    rel: str


def land(ctx: LoadContext, file: LandingFile, custom: dict[str, str], text: Future | None = None) -> store.FileOutcome:
    """One landing file of a table → its Parquet row file. `custom`: the landing's own header names for the table
    (mappings.yaml); `text`: the CSV file made UTF-8 text, being prepared in another thread. Its rows are written
    under a work name while its sha256 is computed, and the row file named after it once they are committed."""
    table = TABLES[file.table]
    tmp = file.work_name
    pending = ctx.raw / table.name / (tmp + ".parquet.tmp")  # store.collect_garbage removes one a killed run left
    try:
        try:
            result = formats.read_any(ctx.con, file.path, tmp, ctx.workdir, header_score(table),
                                      text.result() if text else None)
        except readers.UnreadableFile as exc:
            return _reject(ctx, file, f"file could not be read: {exc}")
        mapping = map_headers(result.headers, table, custom)
        meta = {"format": result.fmt, "encoding": result.encoding, "delimiter": result.delimiter,
                "dropped": ", ".join(mapping.personal), "ignored": ", ".join(mapping.ignored)}
        if result.note:
            log.info("%s: %s", file.rel, result.note)
        if mapping.personal:
            log.warning("%s: personal-data columns never loaded: %s", file.rel, ", ".join(mapping.personal))
        src = _Source(table, result, mapping, file.rel)
        if mapping.missing_required:
            return _reject_missing_columns(ctx, file, src, meta)
        try:
            _write_rows(ctx, src, pending)
        except readers.UnreadableFile as exc:  # a CSV file DuckDB could not read to its end
            return _reject(ctx, file, f"file could not be read: {exc}", **meta)
        meta["encoding"] = result.encoding  # a CSV file found not to be UTF-8 further down was read again
        return _commit(ctx, file, src, meta, pending)
    finally:
        ctx.con.execute(f"drop table if exists {tmp}")
        for work_file in ctx.workdir.glob(tmp + ".*"):  # its UTF-8 copy, if any
            work_file.unlink(missing_ok=True)
        pending.unlink(missing_ok=True)  # a row file written for a load that did not commit


def _commit(ctx: LoadContext, file: LandingFile, src: _Source, meta: dict[str, str], pending: Path) -> store.FileOutcome:
    """The file's malformed lines and its line of the ingestion log in one transaction, then its row file under its
    name (after the commit: a crash before it leaves the file to be read again)."""
    con, table, result, rel = ctx.con, src.table, src.result, file.rel
    with store.transaction(con):
        store.forget(con, ctx.raw, rel)
        for line, text, reason in result.malformed:
            con.execute("insert into raw.row_rejections values (?, ?, ?, ?, ?, ?)",
                        [table.name, rel, line, None, safe_fields(text, result, src.mapping, table), reason])
        rows_read = result.rows + len(result.malformed)
        sha = file.sha
        store.record(con, store.IngestedFile(rel, table.name, sha, rows_read, "loaded", result.note,
                                             ctx.fingerprint, **meta))
    os.replace(pending, store.row_file(ctx.raw, table.name, rel, sha, ctx.fingerprint))
    log.info("%s → raw.%s: %d rows read%s (%s%s)", rel, table.name, rows_read,
             f", {len(result.malformed)} malformed" if result.malformed else "", result.fmt,
             f", {result.encoding}, '{result.delimiter}'" if result.fmt == "csv" else "")
    return store.FileOutcome(rel, table.name, "loaded", rows_read)


def _reject_missing_columns(ctx: LoadContext, file: LandingFile, src: _Source, meta: dict[str, str]) -> store.FileOutcome:
    """A file without a required column: rejected whole, its rows counted."""
    result = src.result
    missing = ", ".join(src.mapping.missing_required)
    found = ", ".join(result.headers)
    if result.lazy:  # the rows of a CSV file are counted by reading it
        with contextlib.suppress(readers.UnreadableFile):
            result.rows = readers.scan(ctx.con, result, lambda rows: f"select count(*) from {rows} t")[0][0]
        result.rows = max(result.rows, 0)
    return _reject(ctx, file, f"required column(s) {missing} missing; the file's headers are: {found}",
                   result.rows + len(result.malformed), **meta)


def _reject(ctx: LoadContext, file: LandingFile, reason: str, rows: int = 0, **meta: str) -> store.FileOutcome:
    log.error("%s rejected whole: %s", file.rel, reason)
    return quarantine_whole(ctx, file.table, file.rel, file.sha, reason, rows, **meta)


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


def _write_rows(ctx: LoadContext, src: _Source, target: Path) -> None:
    """The file's rows, mapped to the table's canonical columns and pseudonymised, as one Parquet file, straight
    from the file in file order (a projection: a join would reorder them; the pseudonyms are looked up through an
    ENUM of the person ids, `PersonsMet`)."""
    result = src.result
    encoding = result.encoding
    written = _copy_rows(ctx, src, target)
    if result.encoding != encoding:
        # not UTF-8 further down: the file was transcoded while its rows were written, its person ids read as they
        # were; write them again from the transcoded text, so an accented id keeps its pseudonym
        written = _copy_rows(ctx, src, target)
    if result.lazy:
        result.rows = int(written[0][0])
        if result.malformed:  # the lines after a malformed one shift: their lines are written
            renumbered = target.with_name(target.name + ".lines")
            ctx.con.execute(f"copy (select * exclude (file_row_number) replace "
                        f"({readers.line_numbers(result, 'file_row_number')} as _line) "
                        f"from read_parquet({_sql_path(target)}, file_row_number = true)) "
                        f"to {_sql_path(renumbered)} {ROW_FILE_OPTIONS}")
            os.replace(renumbered, target)


def _copy_rows(ctx: LoadContext, src: _Source, target: Path) -> list[tuple]:
    """One COPY of the file's rows into `target`, their person ids pseudonymised from the ids met so far; when the
    file names a person not met yet, one read of its person ids, then the COPY again. Returns what the COPY returns."""
    con, table, mapping, met = ctx.con, src.table, src.mapping, ctx.met
    persons = [(c.name, mapping.columns[c.name]) for c in table.columns
               if c.pseudonymise and mapping.columns.get(c.name) is not None]
    if persons and met.speculate(table):
        written = _copy(ctx, src, target, speculative=True)
        if not any(con.execute(f"select 1 from read_parquet({_sql_path(target)}) where {name} = ? limit 1",
                               [PersonsMet.NOT_MET]).fetchone() for name, _ in persons):
            return written
        met.missed = True
        log.info("%s names persons the persons files do not list: read again, its person ids first, and so is "
                 "each file after it", src.rel)
    for _, source in persons:
        met.add(_person_ids(con, src.result, source), table)
    return _copy(ctx, src, target)


def _copy(ctx: LoadContext, src: _Source, target: Path, speculative: bool = False) -> list[tuple]:
    """The COPY of `_copy_rows`. `speculative`: a person id not met yet gets `PersonsMet.NOT_MET` for pseudonym
    (the file is then written again); otherwise null, as a row the ids' read could not parse."""
    con, table, result, mapping, met = ctx.con, src.table, src.result, src.mapping, ctx.met
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
                lookup = (f"list_extract((select pseudonyms from {PersonsMet.LIST}), "
                          f"enum_code(try_cast({expr} as {PersonsMet.ENUM})) + 1)")
            if speculative:
                lookup = f"coalesce({lookup}, case when {expr} is not null then '{PersonsMet.NOT_MET}' end)"
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
        f"to {_sql_path(target)} {ROW_FILE_OPTIONS}"), [src.rel])


def _trimmed(expr: str) -> str:
    """`nullif(trim(x), '')`, trimming only the values that may need it. DuckDB's trim copies every value and
    tests each character for a Unicode space (2.4 s over the 55 M cells of 5 M activity rows); an ASCII value
    with no space at either end is already trimmed (strlen counts bytes, length characters)."""
    return (f"case when {expr} = '' then null when prefix({expr}, ' ') or suffix({expr}, ' ') "
            f"or strlen({expr}) <> length({expr}) then nullif(trim({expr}), '') else {expr} end")


def _person_ids(con, result: readers.ReadResult, source: str) -> list[str]:
    """The file's distinct person ids, trimmed."""
    value = _trimmed("v")
    # read leniently, without DuckDB's reject store: a one-column read that stores rejects fails inside DuckDB on a
    # line that is not UTF-8 (an internal error that invalidates the database); the COPY after it reports the lines
    return [r[0] for r in readers.scan(con, result, lambda rows: (
        f"select distinct {value} from (select distinct t.{_q(source)} as v from {rows} t) where {value} is not null"),
        lenient=True)]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


