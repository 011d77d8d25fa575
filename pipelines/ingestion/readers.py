"""Read one landing file (CSV, XLSX or Parquet) as rows of text columns for DuckDB.

CSV is read by DuckDB's own reader (fast, parallel), straight from the file: `read_csv` gives a scan
of it that the caller's statement reads (`scan`), never a copy of its rows in a table, since writing
rows that are written again cost a third of the ingestion. An Excel or Parquet file is read into a
temporary table. The bytes decide, not the file name: a gzip
file is unpacked first; UTF-16 and Windows-1252 files are transcoded to UTF-8 (DuckDB reads UTF-8
only), Windows-1252 line by line when a file turns out not to be UTF-8 further down; a ZIP or
binary file gets a reason a person understands. Malformed CSV lines (too many or too few fields,
unclosed quotes) are captured by DuckDB's reject store and returned, with their line, so that they
are quarantined rather than lost; their text is returned for the caller to filter, never stored here.
An Excel table is found on the sheet and at the row whose cells read best as the table's headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingestion.encodings import (  # noqa: F401  (the landing reads a file's text and hash through here)
    CHUNK,
    GZIP_NOTE,
    UTF16_BOMS,
    UnreadableFile,
    Utf8Text,
    open_bytes,
    prepare_csv,
    sha256_of,
    sniff_container,
    transcode_per_line,
)
from pipelines.ingestion.sql_values import literal as _sql_text

# a single CSV record may be this long (a cell of several MB is read, not the whole file rejected)
MAX_RECORD_BYTES = 1 << 26
SUPPORTED = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")  # and any of them but .xlsx/.parquet gzipped (.gz)


@dataclass
class ReadResult:
    table: str  # what the rows are selected from (`from {table} t`): a temporary table, or a CSV file's scan
    headers: list[str]
    line_expr: str  # SQL expression over `t` giving each row's line in the file; a CSV scan: null (LINE_BY_POSITION)
    rows: int  # a CSV scan: -1 until `scan` has read it
    fmt: str
    encoding: str = ""
    delimiter: str = ""
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason); text never stored
    note: str = ""  # where the table was found, when not at the obvious place
    csv: CsvFile | None = None  # a CSV scan: the UTF-8 file it reads and its read_csv options

    @property
    def lazy(self) -> bool:
        """A CSV scan: its rows, malformed lines and true line numbers are known once `scan` has read it."""
        return self.csv is not None


@dataclass
class CsvFile:
    """A CSV file as DuckDB reads it: the UTF-8 text (transcoded or unpacked into the work folder when needed),
    its delimiter, the options beyond the dialect (longer records, given columns) and the reject tables."""
    path: Path
    delimiter: str
    name: str  # prefix of the reject tables
    workdir: Path
    options: str = ""
    encoding: str = "utf-8"  # how DuckDB decodes the text: utf-8, or latin-1 (a Windows-1252 file read as it is)

    def sql(self, lenient: bool = False) -> str:
        """The scan. Its rows come in file order through a projection (DuckDB keeps insertion order), not through
        a join; numbering them here (`with ordinality`) cost more than a tenth of the ingestion. Malformed lines go
        to the reject store, or are skipped by a lenient scan."""
        rejects = ("ignore_errors=true" if lenient else
                   f"store_rejects=true, rejects_table='{self.name}_rejects', rejects_scan='{self.name}_scans'")
        encoding = "" if self.encoding == "utf-8" else f", encoding={_sql_text(self.encoding)}"
        return (f"read_csv({_sql_text(str(self.path))}, delim={_sql_text(self.delimiter)}, quote='\"', escape='\"', "
                f"header=true, all_varchar=true, skip=0, {rejects}{encoding}{self.options})")


def sniff_delimiter(path: Path) -> str:
    """The delimiter of the header line: the most frequent of `;`, tab and `,` (`,` on a tie)."""
    with path.open("rb") as handle:
        first = handle.readline(1 << 16).decode("utf-8", errors="replace")
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts.values())
    if best == 0:
        return ","
    return next(d for d in (",", ";", "\t") if counts[d] == best)



def _header_cells(path: Path, delimiter: str, encoding: str = "utf-8") -> list[str]:
    """The header line's cells, read with the CSV rules."""
    import csv

    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        return next(csv.reader(handle, delimiter=delimiter), [])


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path,
             text: Utf8Text | None = None) -> ReadResult:
    """A CSV file's scan: its delimiter and headers; the rows are read by `scan`. `text`: the file already made
    UTF-8 (prepare_csv), else it is done here."""
    text = text or prepare_csv(path, workdir, table)
    if text.path.stat().st_size == 0:
        raise UnreadableFile("the file is empty (no header line)")
    csv_file = CsvFile(text.path, sniff_delimiter(text.path), table, workdir, encoding=text.read_as)
    result = ReadResult(table="", headers=[], line_expr=LINE_BY_POSITION, rows=-1, fmt="csv", encoding=text.encoding,
                        delimiter={"\t": "tab"}.get(csv_file.delimiter, csv_file.delimiter), csv=csv_file)
    try:
        _sniff(con, result)
    except duckdb.InvalidInputException as exc:
        if not _recover(con, result, exc):
            raise UnreadableFile(csv_error(exc)) from exc
        try:
            _sniff(con, result)
        except duckdb.Error as exc2:
            raise UnreadableFile(csv_error(exc2)) from exc2
    except duckdb.Error as exc:
        raise UnreadableFile(csv_error(exc)) from exc
    return result


def _sniff(con, result: ReadResult) -> None:
    """The headers of a CSV scan (DuckDB's sniffer reads the first records), the options it needs to be read."""
    csv_file = result.csv
    for attempt in range(3):
        result.table = csv_file.sql()
        try:
            result.headers = [row[0] for row in con.execute(
                f"select column_name from (describe select * from {result.table})").fetchall()]
            return
        except duckdb.InvalidInputException as exc:
            if attempt == 2 or not _more_options(result, exc):
                raise
        finally:
            _drop_rejects(con, csv_file)


def _more_options(result: ReadResult, exc: Exception) -> bool:
    """Options that read again what DuckDB refused: a record over its 2 MB default, a broken quote that
    defeats the dialect sniffer (the dialect is known: the header is given too). False when none helps."""
    csv_file, problem = result.csv, str(exc).lower()
    if "maximum line size" in problem and "max_line_size" not in csv_file.options:
        csv_file.options += f", max_line_size={MAX_RECORD_BYTES}"
    elif "sniffing" in problem and "auto_detect" not in csv_file.options:
        columns = ", ".join(f"{_sql_text(n)}: 'VARCHAR'"
                            for n in dedupe_names(_header_cells(csv_file.path, csv_file.delimiter, csv_file.encoding)))
        csv_file.options += f", auto_detect=false, columns={{{columns}}}"
    else:
        return False
    result.table = csv_file.sql()
    return True


def _recover(con, result: ReadResult, exc: Exception) -> bool:
    """A CSV file DuckDB could not read at all: transcoded line by line when it was taken for UTF-8 and is not,
    then with its line endings made the same (rows appended by another tool confuse the parser); once."""
    csv_file = result.csv
    if csv_file.path.name.endswith(".lf.csv"):
        return False
    if _encoding(result) == "utf-8" and "unicode" in str(exc).lower():
        _transcode_per_line(result)
    fixed = csv_file.workdir / (csv_file.name + ".lf.csv")
    _normalise_newlines(csv_file.path, fixed)
    csv_file.path = fixed
    result.table = csv_file.sql()
    return True


def _transcode_per_line(result: ReadResult) -> None:
    """A CSV scan taken for UTF-8 that is not: its text transcoded line by line (transcode_per_line), read from now."""
    csv_file = result.csv
    utf8 = csv_file.workdir / (csv_file.name + ".utf8.csv")
    _set_encoding(result, transcode_per_line(csv_file.path, utf8))
    csv_file.path = utf8
    result.table = csv_file.sql()




def _encoding(result: ReadResult) -> str:
    return result.encoding.removeprefix(GZIP_NOTE)


def _set_encoding(result: ReadResult, encoding: str) -> None:
    result.encoding = (GZIP_NOTE if result.encoding.startswith(GZIP_NOTE) else "") + encoding


def _drop_rejects(con, csv_file: CsvFile) -> None:
    con.execute(f"drop table if exists {csv_file.name}_rejects; drop table if exists {csv_file.name}_scans")


def scan(con: duckdb.DuckDBPyConnection, result: ReadResult, statement: Callable[[str], str],
         params: list | None = None, lenient: bool = False) -> list[tuple]:
    """Run a statement that reads the rows once, `statement(table)` selecting `from {table} t`, and return what it
    returns (a COPY: the rows written). A CSV scan goes through DuckDB's reject store: its malformed lines, with
    their line, land in `result.malformed`. A record longer than DuckDB's default, a file that turns out not to be
    UTF-8 further down, mixed line endings: read again as it needs. `lenient`: malformed lines are skipped, not
    recorded (a first read of some columns, before the read that records them)."""
    if not result.lazy:
        return con.execute(statement(result.table), params or []).fetchall()
    csv_file = result.csv
    recovered = False
    while True:
        _drop_rejects(con, csv_file)
        try:
            out = con.execute(statement(csv_file.sql(lenient)), params or []).fetchall()
        except duckdb.InvalidInputException as exc:
            if _more_options(result, exc):
                continue
            if not recovered and _recover(con, result, exc):
                recovered = True
                continue
            _drop_rejects(con, csv_file)
            raise UnreadableFile(csv_error(exc)) from exc
        except duckdb.Error as exc:
            _drop_rejects(con, csv_file)
            raise UnreadableFile(csv_error(exc)) from exc
        if lenient:
            return out
        malformed = _malformed(con, csv_file)
        if (not recovered and _encoding(result) == "utf-8"
                and any(reason == _INVALID_ENCODING for _, _, reason in malformed)):
            # valid UTF-8 at the start, Windows-1252 further down: transcode line by line, read again
            _transcode_per_line(result)
            recovered = True
            continue
        result.malformed = malformed
        return out


def _malformed(con, csv_file: CsvFile) -> list[tuple[int, str, str]]:
    rejects = f"{csv_file.name}_rejects"
    try:
        return [
            (int(line), str(text or ""), _reject_reason(error_type, message))
            for line, text, error_type, message in con.execute(
                f"select line, min(csv_line), min(error_type), min(error_message) from {rejects} "
                "group by line order by line").fetchall()
        ]
    finally:
        _drop_rejects(con, csv_file)


# The rows of a CSV scan are written in file order with no line: each row's line is its position among the rows
# (0-based) + 2, the header being line 1 and each record one line, as a spreadsheet shows it. The raw views give it
# (DuckDB's file_row_number), unless the file had malformed lines: those rows get their line written (line_numbers).
LINE_BY_POSITION = "cast(null as bigint)"


def line_numbers(result: ReadResult, position: str) -> str:
    """SQL giving the line in the file of the row at `position` (0-based) of a CSV scan once its malformed lines are
    known: they keep their numbers, so the accepted rows after them shift by one each."""
    if not result.malformed:
        return f"{position} + 2"
    # accepted rows before the i-th malformed line (0-based): its line - 2 - i
    before = ", ".join(f"({line - 2 - i})" for i, (line, _, _) in enumerate(result.malformed))
    return (f"{position} + 2 + (select count(*) from (values {before}) s(accepted_before) "
            f"where s.accepted_before <= {position})")


def _normalise_newlines(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("wb") as fout:
        pending = b""
        while chunk := fin.read(CHUNK):
            data = pending + chunk
            pending = b"\r" if data.endswith(b"\r") else b""
            data = data[:-1] if pending else data
            fout.write(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        fout.write(pending.replace(b"\r", b"\n"))


def short_error(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def csv_error(exc: Exception) -> str:
    """DuckDB's reason without the 'Original Line' it quotes (it may hold personal data)."""
    return short_error(exc).replace("Invalid Input Error: ", "")


# DuckDB reject-store error types, in words; never the line's text (it may hold a name or a NIR)
_INVALID_ENCODING = "malformed line: not valid UTF-8 text"
_REJECT_REASONS = {
    "INVALID ENCODING": _INVALID_ENCODING,
    "UNQUOTED VALUE": "malformed line: a quote inside an unquoted value",
    "UNTERMINATED QUOTES": "malformed line: a quoted value is never closed (the lines after it are read as part of it)",
    "LINE SIZE OVER MAXIMUM": f"malformed line: longer than {MAX_RECORD_BYTES >> 20} MB",
}


def _reject_reason(error_type: str, message: str) -> str:
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message or "")
    if counts:
        return f"malformed line: {counts.group(2)} fields where the header has {counts.group(1)}"
    if "unterminated quote" in (message or "").lower():
        return _REJECT_REASONS["UNTERMINATED QUOTES"]
    return _REJECT_REASONS.get(error_type, f"malformed line: {(error_type or 'unreadable').lower()}")


def dedupe_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        out.append(name if n == 0 else f"{name}_{n}")
        seen[name] = n + 1
    return out
