"""Read one landing file (CSV, XLSX or Parquet) into a DuckDB temporary table of text columns.

CSV is read by DuckDB's own reader (fast, parallel). Windows-1252 files are transcoded to UTF-8
first, in chunks, because DuckDB reads UTF-8 only. Malformed CSV lines (too many or too few
fields, unclosed quotes) are captured by DuckDB's reject store and returned, with their line, so
that they are quarantined rather than lost.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SUPPORTED = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
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
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """utf-8 when the start of the file decodes as UTF-8, else cp1252 (French Windows software)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def transcode_to_utf8(src: Path, dst: Path, encoding: str = "cp1252") -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


def sniff_delimiter(path: Path) -> str:
    """The delimiter of the header line: the most frequent of `;`, tab and `,` (`,` on a tie)."""
    with path.open("rb") as handle:
        first = handle.readline(1 << 16).decode("utf-8", errors="replace")
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts.values())
    if best == 0:
        return ","
    return next(d for d in (",", ";", "\t") if counts[d] == best)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> ReadResult:
    encoding = detect_encoding(path)
    source = path
    if encoding != "utf-8":
        source = workdir / (table + ".utf8.csv")
        transcode_to_utf8(path, source, encoding)
    delimiter = sniff_delimiter(source)
    try:
        return _duck_read_csv(con, source, table, encoding, delimiter)
    except duckdb.InvalidInputException as exc:
        if encoding == "utf-8" and "unicode" in str(exc).lower():
            # valid UTF-8 at the start, cp1252 further down: transcode the whole file and read again
            source = workdir / (table + ".utf8.csv")
            transcode_to_utf8(path, source, "cp1252")
            try:
                return _duck_read_csv(con, source, table, "cp1252", delimiter)
            except duckdb.Error as exc2:
                raise UnreadableFile(_first_line(exc2)) from exc2
        # mixed line endings (rows appended by another tool) confuse the parser: normalise, read again
        fixed = workdir / (table + ".lf.csv")
        _normalise_newlines(source, fixed)
        try:
            return _duck_read_csv(con, fixed, table, encoding, delimiter)
        except duckdb.Error as exc2:
            raise UnreadableFile(_first_line(exc2)) from exc2
    except duckdb.Error as exc:
        raise UnreadableFile(_first_line(exc)) from exc


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


def _duck_read_csv(con, source: Path, table: str, encoding: str, delimiter: str) -> ReadResult:
    if source.stat().st_size == 0:
        raise UnreadableFile("the file is empty (no header line)")
    rejects, scans = f"{table}_rejects", f"{table}_scans"
    con.execute(f"drop table if exists {table}; drop table if exists {rejects}; drop table if exists {scans}")
    con.execute(
        f"create temp table {table} as select * from read_csv(?, delim=?, quote='\"', escape='\"', header=true, "
        f"all_varchar=true, skip=0, store_rejects=true, rejects_table='{rejects}', rejects_scan='{scans}')",
        [str(source), delimiter],
    )
    malformed = [
        (int(line), str(text or ""), f"malformed line: {message}")
        for line, text, message in con.execute(
            f"select line, min(csv_line), min(error_message) from {rejects} group by line order by line").fetchall()
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


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> ReadResult:
    import openpyxl
    import pyarrow as pa

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnreadableFile(f"not a readable Excel workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        headers: list[str] | None = None
        columns: list[list[str | None]] = []
        lines: list[int] = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in row]
            if headers is None:
                if not any(cells):
                    continue
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
    if headers is None:
        raise UnreadableFile("the workbook's first sheet is empty (no header row)")
    arrow = pa.table({**{h: pa.array(col, pa.string()) for h, col in zip(headers, columns)},
                      "__line": pa.array(lines, pa.int64())})
    con.register("__xlsx_rows", arrow)
    con.execute(f"create or replace temp table {table} as select * from __xlsx_rows")
    con.unregister("__xlsx_rows")
    return ReadResult(table=table, headers=headers, line_expr="t.__line", rows=len(lines), fmt="xlsx")


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


def read_any(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> ReadResult:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(con, path, table)
    if suffix == ".parquet":
        return read_parquet(con, path, table)
    return read_csv(con, path, table, workdir)

