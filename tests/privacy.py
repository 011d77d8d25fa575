"""What the privacy scans share: hundreds of names, ids and addresses looked for at once in every table, file and
log line of a run (pyahocorasick: one pass over a text whatever the number of strings, where a regular expression of
as many alternatives tries each of them at every position), and a warehouse's tables as text."""

from __future__ import annotations

from pathlib import Path

import ahocorasick
import duckdb


class Secrets:
    """Strings that must appear nowhere: `first(text)` is the first of them found in `text`, or None."""

    def __init__(self, strings: set[str]):
        self.strings = {s for s in strings if s}
        self._automaton = ahocorasick.Automaton()
        for s in self.strings:
            self._automaton.add_word(s, s)
        self._automaton.make_automaton()

    def first(self, text: str) -> str | None:
        for _, found in self._automaton.iter(text):
            return found
        return None


def distinct_values(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """Every distinct value of a relation's columns as text, one a line: what a scan for a name, an id or a NIR
    looks at (each is a value of its own, so the rows need not be read as rows, and a value repeated on every row of
    a large table is read once). DuckDB writes them as CSV, in a temporary folder."""
    import tempfile

    columns = [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]
    values = ", ".join(f'cast("{c}" as varchar)' for c in columns)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "values.csv"
        con.execute(f"copy (select distinct unnest([{values}]) as v from {relation}) to '{out}' "
                    "(format csv, header false)")
        return out.read_text(encoding="utf-8")


def warehouse_texts(path: Path) -> dict[str, str]:
    """Every table and view of a warehouse file as text, its distinct values one a line (`distinct_values`):
    {"schema.table": text}."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        return {f"{schema}.{table}": distinct_values(con, f'{schema}."{table}"') for schema, table in tables}
