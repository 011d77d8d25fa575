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


def warehouse_texts(path: Path) -> dict[str, str]:
    """Every table and view of a warehouse file as text, one row a line (DuckDB writes it as CSV, in a temporary
    folder): {"schema.table": text}."""
    import tempfile

    texts = {}
    with duckdb.connect(str(path), read_only=True) as con, tempfile.TemporaryDirectory() as folder:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        for n, (schema, table) in enumerate(tables):
            out = Path(folder) / f"{n}.csv"
            con.execute(f"copy (select * from {schema}.\"{table}\") to '{out}' (format csv, header false)")
            texts[f"{schema}.{table}"] = out.read_text(encoding="utf-8")
    return texts
