"""Values written into the ingestion's DuckDB statements as SQL literals rather than as parameters: DuckDB's Python
client imports pandas and pyarrow at a connection's first statement with parameters (about half a second of CPU),
which a landing of TDDUI exports otherwise never needs. Texts are quoted with their quotes doubled, the only escape
of a SQL string; a text holding a NUL character cannot be a literal (`inline` is then false: the caller passes
parameters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def literal(value) -> str:
    """A value (None, bool, int or text) as a DuckDB literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def inline(rows: Iterable[Sequence]) -> bool:
    """Whether every value of `rows` can be written as a literal (no NUL character in a text, no float)."""
    return all(value is None or isinstance(value, (bool, int)) or (isinstance(value, str) and "\x00" not in value)
               for row in rows for value in row)


def values(rows: Iterable[Sequence]) -> str:
    """`(v, v, ...), (v, v, ...)`: the rows of a VALUES list."""
    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


def insert(con, table: str, rows: list[Sequence], batch: int = 1000) -> None:
    """Rows inserted into `table` (every column, in order): as literals, `batch` rows a statement, or row by row with
    parameters when a value cannot be a literal."""
    if not inline(rows):
        for row in rows:
            con.execute(f"insert into {table} values ({', '.join('?' * len(row))})", list(row))
        return
    for start in range(0, len(rows), batch):
        con.execute(f"insert into {table} values {values(rows[start:start + batch])}")
