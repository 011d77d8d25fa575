"""The landing formats besides CSV: an Excel workbook (the table found on its sheet and row by its headers) and a
Parquet file, each read into a temporary table of text columns; and `read_any`, which reads a landing file by its
extension (CSV: pipelines/ingestion/readers.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.ingestion.encodings import UnreadableFile, Utf8Text
from pipelines.ingestion.readers import ReadResult, dedupe_names, quote_identifier, read_csv, short_error


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
                headers = dedupe_names([c or f"column{i}" for i, c in enumerate(cells)])
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
        select = ", ".join(f"cast({quote_identifier(h)} as varchar) as {quote_identifier(h)}" for h in headers)
        con.execute(f"create or replace temp table {table} as select {select}, file_row_number + 1 as __line "
                    "from read_parquet(?, file_row_number = true)", [str(path)])
    except duckdb.Error as exc:
        raise UnreadableFile(f"not a readable Parquet file: {short_error(exc)}") from exc
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    return ReadResult(table=table, headers=headers, line_expr="t.__line", rows=rows, fmt="parquet")


def is_csv(path: Path) -> bool:
    return path.suffix.lower() not in (".xlsx", ".parquet")


def read_any(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path,
             header_score: Callable[[list[str]], int] | None = None, text: Utf8Text | None = None) -> ReadResult:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(con, path, table, header_score)
    if suffix == ".parquet":
        return read_parquet(con, path, table)
    return read_csv(con, path, table, workdir, text)

