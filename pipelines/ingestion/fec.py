"""The accounts as the gestionnaire has them (finance-sources.md §1): the landing folder's `comptabilite/` holds
FEC files (`<SIREN>FEC<AAAAMMJJ>.txt`, gzipped or not) and trial balances, read into `raw.ledger` like a
`ledger.csv`, split between the ESMS by `comptabilite.yaml` (pipelines/comptabilite.py).

A file is read by DuckDB (read_csv, every column text, the separator of its header line: tab, `|` or `;`; its
encoding found as for any landing file, `readers.prepare_csv`, ISO-8859-15 told from Windows-1252 by its bytes),
its columns by header name with case and accents ignored. The lines a FEC export broke (a `|` inside a label) are
DuckDB's rejects: `repair` puts the extra fields back into a text column when only a text column can hold them,
else the line is quarantined with its reason. Amounts, dates and the split are SQL (pipelines/ingestion/fec_sql.py);
this module finds what the file is and holds the outcome.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingestion import readers
from pipelines.ingestion.schema import header_key
from pipelines.ingestion.sql_values import literal as _sql_text

FOLDER = "comptabilite"
SOURCE = "comptabilite"  # raw.ingested_files.source_table of a FEC or a trial balance

# the raw tables a FEC gives besides raw.ledger (all text, like every raw table; typed by dbt's staging)
UNASSIGNED_COLUMNS = ("year", "account", "label", "code", "amount", "lines", "entries", "reason")
UNBALANCED_COLUMNS = ("journal", "entry", "entry_date", "debit", "credit")
FILE_COLUMNS = ("kind", "siren", "closing_date", "year", "split", "lines", "entries", "class67_amount")
RAW_TABLES = {"fec_unassigned": UNASSIGNED_COLUMNS, "fec_unbalanced": UNBALANCED_COLUMNS, "fec_files": FILE_COLUMNS}

# canonical column -> the folded headers that name it (schema.header_key: case, accents, punctuation ignored)
FEC_HEADERS = {
    "journal": ("journalcode", "codejournal", "journal"),
    "journal_label": ("journallib", "libellejournal"),
    "entry": ("ecriturenum", "numeroecriture", "necriture", "numecriture"),
    "entry_date": ("ecrituredate", "dateecriture"),
    "account": ("comptenum", "numerocompte", "ncompte", "numcompte", "compte", "comptegeneral"),
    "account_label": ("comptelib", "libellecompte", "intitulecompte", "intitule", "libelle"),
    "aux_label": ("compauxlib",),
    "piece": ("pieceref",),
    "piece_date": ("piecedate",),
    "entry_label": ("ecriturelib", "libelleecriture"),
    "debit": ("debit", "montantdebit", "totaldebit", "cumuldebit", "mouvementsdebit", "soldedebiteur"),
    "credit": ("credit", "montantcredit", "totalcredit", "cumulcredit", "mouvementscredit", "soldecrediteur"),
    "amount": ("montant",),
    "direction": ("sens", "dc", "debitcredit"),
    "balance": ("solde", "soldefinal", "soldefin", "soldecloture"),
    "let_date": ("datelet",),
    "valid_date": ("validdate",),
    "currency_amount": ("montantdevise",),
    # an analytic column holding the SERAFIN-PH section of the line (or hors_champ), as ledger.csv's `section`
    "section": ("section", "sectionserafin", "sectionanalytique", "affectation", "sectionserafinph"),
}
TEXT_COLUMNS = ("entry_label", "account_label", "journal_label", "aux_label", "piece")  # what a stray `|` may cut
DATE_COLUMNS = ("entry_date", "piece_date", "let_date", "valid_date")
AMOUNT_COLUMNS = ("debit", "credit", "amount", "balance", "currency_amount")
SEPARATORS = ("\t", "|", ";")
CLOSING = re.compile(r"FEC(\d{8})", re.IGNORECASE)
ISO_8859_15_ONLY = bytes([0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE])  # €, Š, š, Ž, ž, Œ, œ, Ÿ there


class FecProblem(Exception):
    """The file cannot be read as a FEC or a trial balance; the message says why in words a person understands."""


@dataclass
class FecFile:
    """A FEC or trial balance as found: its text for DuckDB, separator, headers and which is which."""
    path: Path
    text: readers.Utf8Text
    separator: str
    headers: list[str]  # as written (deduplicated)
    columns: dict[str, str]  # canonical -> header
    kind: str  # fec or balance
    closing: str | None  # AAAAMMJJ of the file name
    repaired: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, fields) put back together
    rejected_lines: list[int] = field(default_factory=list)  # lines DuckDB's read set aside (they shift the others)
    kept: list[str] = field(default_factory=list)  # the headers the ledger needs, the only ones kept of each line
    quarantined: list[tuple[int, str | None, str | None, str]] = field(default_factory=list)  # line, col, value, why

    @property
    def delimiter_name(self) -> str:
        return {"\t": "tab"}.get(self.separator, self.separator)


def open_file(path: Path, workdir: Path, name: str) -> FecFile:
    """The file's text, separator and headers; what kind of file it is."""
    try:
        text = readers.prepare_csv(path, workdir, name)
    except readers.UnreadableFile as exc:
        raise FecProblem(str(exc)) from None
    text = _iso_8859_15(text, workdir, name)
    with text.path.open("rb") as handle:
        first = handle.readline(1 << 16).decode(text.read_as, errors="replace")
    if not first.strip():
        raise FecProblem("the file is empty (no header line)")
    separator = max(SEPARATORS, key=first.count)
    if first.count(separator) == 0:
        raise FecProblem("no tab, '|' or ';' in the header line: not a FEC nor a trial balance")
    cells = next(csv.reader([first.rstrip("\r\n")], delimiter=separator, quoting=csv.QUOTE_NONE))
    headers = _dedupe([c.strip().lstrip("\ufeff") or f"column{i + 1}" for i, c in enumerate(cells)])
    columns: dict[str, str] = {}
    for header in headers:
        for canonical, names in FEC_HEADERS.items():
            if header_key(header) in names and canonical not in columns:
                columns[canonical] = header
                break
    kind = "fec" if {"journal", "entry"} <= set(columns) else "balance"
    _check_columns(columns, kind, headers)
    match = CLOSING.search(path.name)
    closing = match.group(1) if match else _date_in_name(path.name)
    return FecFile(path, text, separator, headers, columns, kind, closing)


def _date_in_name(name: str) -> str | None:
    """AAAAMMJJ of a date in a file name (`…20251231…`), or the 31 December of a year (`balance_2025.csv`)."""
    day = re.findall(r"(?<!\d)(20\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?!\d)", name)
    if day:
        return day[-1]
    year = re.findall(r"(?<!\d)(20\d{2})(?!\d)", name)
    return year[-1] + "1231" if year else None


def _check_columns(columns: dict[str, str], kind: str, headers: list[str]) -> None:
    found = ", ".join(headers)
    if "account" not in columns:
        raise FecProblem(f"no account column (CompteNum); the file's headers are: {found}")
    if kind == "fec" and not ({"debit", "credit"} <= set(columns) or {"amount", "direction"} <= set(columns)):
        raise FecProblem(f"neither Debit and Credit nor Montant and Sens; the file's headers are: {found}")
    if kind == "balance" and not ({"debit", "credit"} <= set(columns) or "balance" in columns):
        raise FecProblem("a trial balance needs Debit and Credit, or Solde (with a D/C column or signed); "
                         f"the file's headers are: {found}")


def _iso_8859_15(text: readers.Utf8Text, workdir: Path, name: str) -> readers.Utf8Text:
    """A file read as Latin-1 (Windows-1252 with none of its own bytes) that holds a byte only ISO-8859-15 gives a
    letter (œ, €…): transcoded as ISO-8859-15, which French accounting software writes."""
    if text.read_as != "latin-1":
        return text
    with text.path.open("rb") as handle:
        while chunk := handle.read(readers.CHUNK):
            if any(b in chunk for b in ISO_8859_15_ONLY):
                utf8 = workdir / (name + ".iso885915.csv")
                _transcode(text.path, utf8, "iso8859_15")
                return readers.Utf8Text(utf8, text.encoding.replace("cp1252", "iso-8859-15"))
    return text


def _transcode(src: Path, dst: Path, encoding: str) -> None:
    """A single-byte text to UTF-8, streamed."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(readers.CHUNK):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n.lower()] = seen.get(n.lower(), 0) + 1
        out.append(n if seen[n.lower()] == 1 else f"{n}_{seen[n.lower()]}")
    return out


EXTRA = ("__extra1", "__extra2", "__extra3")  # room for the fields of a line longer than the header


def scan_sql(fec: FecFile, rejects: str) -> str:
    """DuckDB's read of the file: every column text, no quoting (a FEC has none; a `"` in a label is a letter).
    A line may be longer than the header by up to three fields (EXTRA) or shorter (padded with null; an empty field
    stays '' with `nullstr` a byte no text holds): `load_lines` sets them aside. Longer still: DuckDB's rejects."""
    columns = ", ".join(f"{_sql_text(h)}: 'VARCHAR'" for h in [*fec.headers, *EXTRA])
    encoding = "" if fec.text.read_as == "utf-8" else f", encoding={_sql_text(fec.text.read_as)}"
    return (f"read_csv({_sql_text(str(fec.text.path))}, delim={_sql_text(fec.separator)}, quote='', escape='', "
            f"header=true, auto_detect=false, columns={{{columns}}}, null_padding=true, nullstr=chr(1), "
            f"max_line_size={readers.MAX_RECORD_BYTES}, store_rejects=true, rejects_table='{rejects}_rejects', "
            f"rejects_scan='{rejects}_scans'{encoding})")


def well_formed(fec: FecFile) -> str:
    """SQL: a row of the read whose line has as many fields as the header (over the scan's columns)."""
    return f"{EXTRA[0]} is null and {readers.quote_identifier(fec.headers[-1])} is not null"


NEEDED = ("journal", "entry", "entry_date", "account", "account_label", "debit", "credit", "amount", "direction",
          "balance", "section")


def load_lines(con: duckdb.DuckDBPyConnection, fec: FecFile, table: str, also: str | None = None) -> int:
    """The file's lines into `table` (file order), only the columns the ledger needs (and `also`, an analytic column):
    a line with another number of fields than the header is kept whole as `__odd` (its fields joined), then repaired
    (`fec.repaired`) or quarantined (`fec.quarantined`). Returns how many lines were read."""
    fec.kept = [h for h in fec.headers if h in {fec.columns.get(c) for c in NEEDED} | {also}]
    everything = ", ".join(readers.quote_identifier(h) for h in [*fec.headers, *EXTRA])
    kept = ", ".join(readers.quote_identifier(h) for h in fec.kept)
    try:
        con.execute(f"create or replace temp table {table} as select {kept}, case when not ({well_formed(fec)}) "
                    f"then concat_ws({_sql_text(fec.separator)}, {everything}) end as __odd "
                    f"from {scan_sql(fec, table)}")
        rejected = con.execute(f"select line, min(csv_line) from {table}_rejects group by line order by line"
                               ).fetchall()
    except duckdb.Error as exc:
        raise FecProblem(readers.csv_error(exc)) from exc
    finally:
        con.execute(f"drop table if exists {table}_rejects; drop table if exists {table}_scans")
    fec.rejected_lines = [int(line) for line, _ in rejected]
    odd = con.execute(f"select rowid, __odd from {table} where __odd is not null order by rowid").fetchall()
    broken = [(_line_of(pos, fec.rejected_lines), text.split(fec.separator)) for pos, text in odd]
    broken += [(int(line), (text or "").strip("\r\n").split(fec.separator)) for line, text in rejected]
    for line, fields in sorted(broken):
        if len(fields) > len(fec.headers):
            repaired, reason = repair(fec, fields)
            if repaired is not None:
                fec.repaired.append((line, repaired))
                continue
        else:
            reason = f"{len(fields)} field(s) where the header has {len(fec.headers)}"
        fec.quarantined.append((line, None, None, reason))
    return con.execute(f"select count(*) from {table}").fetchone()[0] + len(rejected)


def _line_of(position: int, rejected: list[int]) -> int:
    """The line of the row at `position` (0-based) of the read: the header is line 1, and each line DuckDB rejected
    before it shifts it by one."""
    line = position + 2
    for r in rejected:
        if r <= line:
            line += 1
    return line


def repair(fec: FecFile, fields: list[str]) -> tuple[list[str] | None, str]:
    """A line with more fields than the header (a separator inside a label): the extra fields joined back into one
    text column, when the other columns then read as they must (dates, amounts, account) whichever text column is
    chosen; the entry's label first. Else None and why."""
    extra = len(fields) - len(fec.headers)
    index = {h: i for i, h in enumerate(fec.headers)}
    candidates = []
    for column in TEXT_COLUMNS:
        if column not in fec.columns:
            continue
        at = index[fec.columns[column]]
        merged = [*fields[:at], fec.separator.join(fields[at:at + extra + 1]), *fields[at + extra + 1:]]
        if _plausible(fec, merged, index):
            candidates.append((column, merged))
    typed = {tuple(v for h, v in zip(fec.headers, merged, strict=True)
                   if h not in {fec.columns[c] for c, _ in candidates}) for _, merged in candidates}
    if candidates and len(typed) == 1:
        return candidates[0][1], ""
    why = ("the extra fields could belong to more than one column" if candidates
           else "no text column can hold them with the dates and amounts still read")
    return None, (f"{len(fields)} fields where the header has {len(fec.headers)} (a '{fec.separator}' inside a "
                  f"value?): not repaired, {why}")


# a repaired line must read as a FEC line is written: amounts with their decimals (`12,50`), or 0
AMOUNT_TEXT = re.compile(r"^\s*([-+]?\d+[.,]\d{1,2}|0)\s*$")
DATE_TEXT = re.compile(r"^\s*(\d{8}|\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2})\s*$")


def _plausible(fec: FecFile, fields: list[str], index: dict[str, int]) -> bool:
    def value(column):
        return fields[index[fec.columns[column]]] if column in fec.columns else ""

    amounts_ok = all(AMOUNT_TEXT.match(value(c)) or not value(c).strip() for c in AMOUNT_COLUMNS)
    dates_ok = all(DATE_TEXT.match(value(c)) or not value(c).strip() for c in DATE_COLUMNS)
    account_ok = bool(re.fullmatch(r"\s*[0-9A-Za-z]+\s*", value("account")))
    direction_ok = "direction" not in fec.columns or value("direction").strip().upper() in {"D", "C", "+1", "-1",
                                                                                            "1", "+", "-"}
    return amounts_ok and dates_ok and account_ok and direction_ok


def add_repaired(con: duckdb.DuckDBPyConnection, fec: FecFile, table: str) -> None:
    """The repaired lines as rows of `<table>_fixed` (the kept columns, with their line), beside the lines read
    whole."""
    columns = ", ".join(f"{readers.quote_identifier(h)} varchar" for h in fec.kept)
    con.execute(f"create or replace temp table {table}_fixed ({columns}, _line bigint)")
    index = [fec.headers.index(h) for h in fec.kept]
    if fec.repaired:
        con.executemany(f"insert into {table}_fixed values ({', '.join('?' * (len(fec.kept) + 1))})",
                        [[*(fields[i] for i in index), line] for line, fields in fec.repaired])
