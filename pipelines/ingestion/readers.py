"""Read one landing file (CSV, XLSX or Parquet) into a DuckDB temporary table of text columns.

CSV is read by DuckDB's own reader (fast, parallel). The bytes decide, not the file name: a gzip
file is unpacked first; UTF-16 and Windows-1252 files are transcoded to UTF-8 (DuckDB reads UTF-8
only), Windows-1252 line by line when a file turns out not to be UTF-8 further down; a ZIP or
binary file gets a reason a person understands. Malformed CSV lines (too many or too few fields,
unclosed quotes) are captured by DuckDB's reject store and returned, with their line, so that they
are quarantined rather than lost; their text is returned for the caller to filter, never stored here.
An Excel table is found on the sheet and at the row whose cells read best as the table's headers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SUPPORTED = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")  # and any of them but .xlsx/.parquet gzipped (.gz)
CHUNK = 1 << 22


class UnreadableFile(Exception):
    """The file cannot be read at all; the message says why in words a person understands."""


@dataclass
class ReadResult:
    table: str  # temporary DuckDB table holding the rows, as text columns
    headers: list[str]
    line_expr: str  # SQL expression over that table giving each row's line in the file
    rows: int
    fmt: str
    encoding: str = ""
    delimiter: str = ""
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason); text never stored
    note: str = ""  # where the table was found, when not at the obvious place


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# magic numbers of the containers and encodings a landing file may come in
GZIP_MAGIC = b"\x1f\x8b"


def open_bytes(path: Path):
    """A file's bytes, decompressed on the fly when they are gzip (by their first bytes, not the name); streamed,
    never read whole (the FINESS feed and the FHIR readers go through it)."""
    import gzip
    import io

    raw = path.open("rb")
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return io.BufferedReader(gzip.GzipFile(fileobj=raw))  # type: ignore[arg-type]
    raw.seek(0)
    return io.BufferedReader(raw)  # type: ignore[arg-type]
ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
# a single CSV record may be this long (a cell of several MB is read, not the whole file rejected)
MAX_RECORD_BYTES = 1 << 26


def _head(path: Path, size: int = 1 << 16) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def sniff_container(path: Path) -> str:
    """What the bytes are, whatever the file is called: gzip, zip, utf-16-le/-be, binary or text."""
    head = _head(path)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    for bom, name in UTF16_BOMS.items():
        if head.startswith(bom):
            return name
    if head and b"\x00" in head:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is NUL
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        return "binary"
    return "text"


def gunzip(src: Path, dst: Path) -> None:
    import gzip
    import shutil
    import zlib

    try:
        with gzip.open(src, "rb") as fin, dst.open("wb") as fout:
            shutil.copyfileobj(fin, fout, CHUNK)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableFile(f"a damaged gzip file ({exc})") from exc


def detect_encoding(path: Path) -> str:
    """utf-8 when the start of the file decodes as UTF-8, else cp1252 (French Windows software).
    Only a first guess: a file that turns out not to be UTF-8 further down is transcoded line by line."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(_head(path), final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def transcode_to_utf8(src: Path, dst: Path, encoding: str = "cp1252") -> None:
    """Any single-byte or UTF-16 encoding to UTF-8, streamed."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def transcode_per_line(src: Path, dst: Path) -> str:
    """UTF-8 where a line is valid UTF-8, Windows-1252 where it is not (a file written by two tools,
    or a cp1252 file whose first accent comes late). Returns the encoding found: cp1252 when every
    non-ASCII line was cp1252, utf-8+cp1252 when both occur."""
    found = {"utf-8": False, "cp1252": False}
    with src.open("rb") as fin, dst.open("wb") as fout:
        pending = b""
        while True:
            chunk = fin.read(CHUNK)
            data = pending + chunk
            if chunk:  # whole lines only; the rest waits for the next chunk
                cut = data.rfind(b"\n") + 1
                data, pending = data[:cut], data[cut:]
            fout.write(_transcode_chunk(data, found))
            if not chunk:
                break
    return "utf-8+cp1252" if found["utf-8"] and found["cp1252"] else "cp1252"


def _transcode_chunk(data: bytes, found: dict[str, bool]) -> bytes:
    try:
        data.decode("utf-8")
        found["utf-8"] |= not data.isascii()
        return data
    except UnicodeDecodeError:
        pass
    if not _UTF8_MULTIBYTE.search(data):
        # not one UTF-8 sequence in these lines: all Windows-1252 (the common case, one call, not line by line)
        found["cp1252"] = True
        return data.decode("cp1252", errors="replace").encode("utf-8")
    out = []
    for line in data.splitlines(keepends=True):
        try:
            line.decode("utf-8")
            found["utf-8"] |= not line.isascii()
            out.append(line)
        except UnicodeDecodeError:
            found["cp1252"] = True
            out.append(line.decode("cp1252", errors="replace").encode("utf-8"))
    return b"".join(out)


def sniff_delimiter(path: Path) -> str:
    """The delimiter of the header line: the most frequent of `;`, tab and `,` (`,` on a tie)."""
    with path.open("rb") as handle:
        first = handle.readline(1 << 16).decode("utf-8", errors="replace")
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts.values())
    if best == 0:
        return ","
    return next(d for d in (",", ";", "\t") if counts[d] == best)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _header_cells(path: Path, delimiter: str) -> list[str]:
    """The header line's cells, read with the CSV rules (UTF-8 text)."""
    import csv

    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return next(csv.reader(handle, delimiter=delimiter), [])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> ReadResult:
    source = path
    container = sniff_container(source)
    compressed = ""
    if container == "gzip":
        source, compressed = workdir / (table + ".gunzip.csv"), "gzip, "
        gunzip(path, source)
        container = sniff_container(source)
    if container == "zip":
        raise UnreadableFile("the file is a ZIP archive, not CSV text (an Excel workbook saved under a .csv "
                             "name? give it the .xlsx extension)")
    if container == "binary":
        raise UnreadableFile("the file is binary, not CSV text (export it again as CSV, or as .xlsx)")
    if container.startswith("utf-16"):
        utf8 = workdir / (table + ".utf8.csv")
        transcode_to_utf8(source, utf8, "utf-16" if _head(source, 2) in UTF16_BOMS else container)
        source, encoding = utf8, container[:6]
    else:
        encoding = detect_encoding(source)
        if encoding != "utf-8":
            utf8 = workdir / (table + ".utf8.csv")
            encoding = transcode_per_line(source, utf8)
            source = utf8
    delimiter = sniff_delimiter(source)
    try:
        result = _duck_read_csv(con, source, table, encoding, delimiter)
        if encoding == "utf-8" and any(reason == _INVALID_ENCODING for _, _, reason in result.malformed):
            # valid UTF-8 at the start, Windows-1252 further down: transcode line by line, read again
            utf8 = workdir / (table + ".utf8.csv")
            encoding = transcode_per_line(source, utf8)
            result = _duck_read_csv(con, utf8, table, encoding, delimiter)
    except duckdb.InvalidInputException as exc:
        if encoding == "utf-8" and "unicode" in str(exc).lower():
            utf8 = workdir / (table + ".utf8.csv")
            encoding = transcode_per_line(source, utf8)
            source = utf8
        # mixed line endings (rows appended by another tool) confuse the parser: normalise, read again
        fixed = workdir / (table + ".lf.csv")
        _normalise_newlines(source, fixed)
        try:
            result = _duck_read_csv(con, fixed, table, encoding, delimiter)
        except duckdb.Error as exc2:
            raise UnreadableFile(_csv_error(exc2)) from exc2
    except duckdb.Error as exc:
        raise UnreadableFile(_csv_error(exc)) from exc
    result.encoding = compressed + result.encoding
    return result


def _normalise_newlines(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("wb") as fout:
        pending = b""
        while chunk := fin.read(CHUNK):
            data = pending + chunk
            pending = b"\r" if data.endswith(b"\r") else b""
            data = data[:-1] if pending else data
            fout.write(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        fout.write(pending.replace(b"\r", b"\n"))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _csv_error(exc: Exception) -> str:
    """DuckDB's reason without the 'Original Line' it quotes (it may hold personal data)."""
    return _first_line(exc).replace("Invalid Input Error: ", "")


# DuckDB reject-store error types, in words; never the line's text (it may hold a name or a NIR)
_INVALID_ENCODING = "malformed line: not valid UTF-8 text"
_REJECT_REASONS = {
    "INVALID ENCODING": _INVALID_ENCODING,
    "UNQUOTED VALUE": "malformed line: a quote inside an unquoted value",
    "UNTERMINATED QUOTES": "malformed line: a quoted value is never closed (the lines after it are read as part of it)",
    "LINE SIZE OVER MAXIMUM": f"malformed line: longer than {MAX_RECORD_BYTES >> 20} MB",
}


def _duck_read_csv(con, source: Path, table: str, encoding: str, delimiter: str) -> ReadResult:
    if source.stat().st_size == 0:
        raise UnreadableFile("the file is empty (no header line)")
    rejects, scans = f"{table}_rejects", f"{table}_scans"
    options = ""
    for attempt in range(3):
        con.execute(f"drop table if exists {table}; drop table if exists {rejects}; drop table if exists {scans}")
        try:
            con.execute(
                f"create temp table {table} as select * from read_csv(?, delim=?, quote='\"', escape='\"', "
                f"header=true, all_varchar=true, skip=0, store_rejects=true, rejects_table='{rejects}', "
                f"rejects_scan='{scans}'{options})",
                [str(source), delimiter],
            )
            break
        except duckdb.InvalidInputException as exc:
            problem = str(exc).lower()
            if attempt < 2 and "maximum line size" in problem and "max_line_size" not in options:
                # a record over DuckDB's 2 MB default: read again, allowing more
                options += f", max_line_size={MAX_RECORD_BYTES}"
            elif attempt < 2 and "sniffing" in problem and "auto_detect" not in options:
                # a broken quote can defeat the dialect sniffer: the dialect is known, give the header too
                columns = ", ".join(f"{_sql_text(n)}: 'VARCHAR'" for n in _dedupe(_header_cells(source, delimiter)))
                options += f", auto_detect=false, columns={{{columns}}}"
            else:
                raise
    malformed = [
        (int(line), str(text or ""), _reject_reason(error_type, message))
        for line, text, error_type, message in con.execute(
            f"select line, min(csv_line), min(error_type), min(error_message) from {rejects} "
            "group by line order by line").fetchall()
    ]
    con.execute(f"drop table if exists {rejects}; drop table if exists {scans}")
    headers = [row[0] for row in con.execute(f"select column_name from (describe {table})").fetchall()]
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    # line numbers: the header is line 1, each record one line (as a spreadsheet shows it); malformed
    # records keep their numbers, so the accepted rows after them shift by one each
    line_expr = "t.rowid + 2"
    if malformed:
        shifts = f"{table}_shifts"
        con.execute(f"create or replace temp table {shifts}(accepted_before bigint)")
        con.executemany(f"insert into {shifts} values (?)",
                        [(line - 2 - i,) for i, (line, _, _) in enumerate(malformed)])
        line_expr = f"t.rowid + 2 + (select count(*) from {shifts} s where s.accepted_before <= t.rowid)"
    return ReadResult(table=table, headers=headers, line_expr=line_expr, rows=rows, fmt="csv", encoding=encoding,
                      delimiter={"\t": "tab"}.get(delimiter, delimiter), malformed=malformed)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text.strip() else None


def _reject_reason(error_type: str, message: str) -> str:
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message or "")
    if counts:
        return f"malformed line: {counts.group(2)} fields where the header has {counts.group(1)}"
    if "unterminated quote" in (message or "").lower():
        return _REJECT_REASONS["UNTERMINATED QUOTES"]
    return _REJECT_REASONS.get(error_type, f"malformed line: {(error_type or 'unreadable').lower()}")


HEADER_SEARCH_ROWS = 30  # a title block above an Excel table is at most this many rows


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str,
              header_score: Callable[[list[str]], int] | None = None) -> ReadResult:
    """The table of a workbook: on the sheet, and at the row, whose cells `header_score` recognises best
    as headers (a title block above the table and other sheets are skipped); without a scorer, the
    first non-empty row of the first sheet."""
    import openpyxl
    import pyarrow as pa

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnreadableFile(f"not a readable Excel workbook: {exc}") from exc
    try:
        sheet, header_line = _find_table(book, header_score)
        if sheet is None:
            raise UnreadableFile("the workbook has no non-empty sheet (no header row)")
        headers: list[str] = []
        columns: list[list[str | None]] = []
        lines: list[int] = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number < header_line:
                continue
            cells = [_cell_text(v) for v in row]
            if number == header_line:
                headers = _dedupe([c or f"column{i}" for i, c in enumerate(cells)])
                columns = [[] for _ in headers]
                continue
            if not any(cells):
                continue
            for i in range(len(headers)):
                columns[i].append(cells[i] if i < len(cells) else None)
            lines.append(number)
    finally:
        book.close()
    arrow = pa.table({**{h: pa.array(col, pa.string()) for h, col in zip(headers, columns)},
                      "__line": pa.array(lines, pa.int64())})
    con.register("__xlsx_rows", arrow)
    con.execute(f"create or replace temp table {table} as select * from __xlsx_rows")
    con.unregister("__xlsx_rows")
    note = ("" if sheet is book.worksheets[0] and header_line == 1
            else f"table read from sheet '{sheet.title}', header on row {header_line}")
    return ReadResult(table=table, headers=headers, line_expr="t.__line", rows=len(lines), fmt="xlsx", note=note)


def _find_table(book, header_score: Callable[[list[str]], int] | None):
    """(sheet, header row number) of the best-scoring candidate header row; the first non-empty row of
    the first non-empty sheet when nothing scores."""
    best, fallback = None, None
    for sheet in book.worksheets:
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_row=HEADER_SEARCH_ROWS), start=1):
            cells = [c for c in (_cell_text(v) for v in row) if c]
            if not cells:
                continue
            fallback = fallback or (sheet, number)
            if header_score is None:
                return sheet, number
            score = header_score(cells)
            if score > 0 and (best is None or score > best[0]):
                best = (score, sheet, number)
    if best:
        return best[1], best[2]
    return fallback or (None, 0)


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> ReadResult:
    try:
        cols = con.execute("select name from parquet_schema(?) where num_children is null", [str(path)]).fetchall()
        headers = [c[0] for c in cols]
        select = ", ".join(f"cast({_quote(h)} as varchar) as {_quote(h)}" for h in headers)
        con.execute(f"create or replace temp table {table} as select {select} from read_parquet(?)", [str(path)])
    except duckdb.Error as exc:
        raise UnreadableFile(f"not a readable Parquet file: {_first_line(exc)}") from exc
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    return ReadResult(table=table, headers=headers, line_expr="t.rowid + 1", rows=rows, fmt="parquet")


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        out.append(name if n == 0 else f"{name}_{n}")
        seen[name] = n + 1
    return out


def read_any(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path,
             header_score: Callable[[list[str]], int] | None = None) -> ReadResult:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(con, path, table, header_score)
    if suffix == ".parquet":
        return read_parquet(con, path, table)
    return read_csv(con, path, table, workdir)

