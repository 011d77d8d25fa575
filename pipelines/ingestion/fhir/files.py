"""Reading a FHIR file once, streaming, into its lines (`stage`): one resource, or one Bundle entry, per line,
numbered as the audit names them (the Bundle entry, or the NDJSON line, from 1), in parts DuckDB reads side by side
(parts.py). DuckDB's JSON reader then types an Encounter into the columns the SQL mapping reads (encounters.py) and
keeps any other resource as its JSON text (stage.py). A Bundle is cut into one line per entry (`split_bundle`: NumPy
over 8 MB chunks, one entry in memory at a time); a gzipped file is decompressed into its parts (a stream cut short
stops there); a file with a line that is not JSON, or a blank one, is read line by line (`slow_path`)."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingestion.fhir.elements import EXTENSIONS, Entry, FhirProblem
from pipelines.ingestion.fhir.parts import BUNDLE_PART, BUNDLE_PARTS, Parts, cut, has_blank_lines, part_count
from pipelines.ingestion.fhir.stage import threads_of
from pipelines.ingestion.readers import open_bytes

CHUNK = 8 << 20
NOT_UTF8 = b"<not UTF-8>"  # what a line that is not UTF-8 becomes for DuckDB (never JSON)


def is_fhir_file(path: Path) -> bool:
    name = path.name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    return name.endswith(EXTENSIONS)


def _loads(text: bytes | str):
    import orjson

    return orjson.loads(text)


def layout(path: Path) -> str:
    """`ndjson` (one resource per line) or `json` (one resource or Bundle, pretty-printed or not)."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    with open_bytes(path) as handle:
        first = handle.readline()
        second = handle.readline()
    if not second.strip():
        return "json"
    try:
        _loads(first)
    except ValueError:
        return "json"
    return "ndjson"


def top_level_type(path: Path) -> str:
    """The resourceType of a JSON file's top-level object, read from its first tokens (FhirProblem without one)."""
    import ijson

    try:
        with open_bytes(path) as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "resourceType" and event == "string":
                    return value
    except ijson.JSONError as exc:
        raise FhirProblem(f"not valid JSON ({exc})") from exc
    raise FhirProblem("no resourceType: not a FHIR resource")


def split_bundle(source, out) -> int:
    """Write each entry of a Bundle's top-level `entry` array to `out` as one line (its line breaks made spaces,
    which JSON allows between tokens and forbids inside strings); returns how many. Per chunk, NumPy finds the
    quotes (one after an odd run of backslashes does not count) and the brackets outside strings, and their depth,
    so only the entries are handled in Python. A file that ends inside the Bundle raises FhirProblem."""
    import numpy as np

    depth, in_string, first, done, count = 0, False, None, False, 0
    pending = b""  # the entry begun in an earlier chunk
    while chunk := source.read(CHUNK):
        while chunk.endswith(b"\\"):  # an escape never straddles two chunks
            more = source.read(1)
            if not more:
                break
            chunk += more
        data = np.frombuffer(chunk, dtype=np.uint8)
        quotes = np.flatnonzero(data == 34)
        escaped = quotes[(quotes > 0) & (data[np.maximum(quotes - 1, 0)] == 92)] if b"\\" in chunk else ()
        if len(escaped):
            quotes = np.setdiff1d(quotes, [q for q in escaped if _odd_backslashes(data, q)], assume_unique=True)
        marks = np.flatnonzero((data == 123) | (data == 125) | (data == 91) | (data == 93))
        marks = marks[(np.searchsorted(quotes, marks) + in_string) % 2 == 0]  # outside strings
        kinds = data[marks]
        level = depth + np.cumsum(np.where((kinds == 123) | (kinds == 91), 1, -1))
        text = chunk.translate(_NEWLINES)
        if first is None:
            first = _entry_array(chunk, marks, level, depth)
            start_at = first
        else:
            start_at = 0
        if first is not None and not done:
            closing = marks[(kinds == 93) & (level == 1) & (marks >= start_at)]
            stop = int(closing[0]) if len(closing) else len(chunk)
            done = stop < len(chunk)
            inside = (marks >= start_at) & (marks < stop)
            starts = marks[inside & (kinds == 123) & (level == 3)]
            ends = marks[inside & (kinds == 125) & (level == 2)]
            if pending and len(ends) and (not len(starts) or ends[0] < starts[0]):
                out.write(pending + text[:ends[0] + 1] + b"\n")
                count, pending, ends = count + 1, b"", ends[1:]
            elif pending:
                pending += text[start_at:stop]
            whole = min(len(starts), len(ends))  # the entries begun and ended in this chunk, written at once
            if whole:
                out.write(_entry_lines(text, starts[:whole], ends[:whole]))
                count += whole
            if len(starts) > whole:
                pending = text[int(starts[whole]):stop]
        in_string = bool((len(quotes) + in_string) % 2)
        depth = int(level[-1]) if len(level) else depth
    if first is None or not done or depth != 0 or in_string:
        raise FhirProblem("not valid JSON (the Bundle ends before its last entry or its closing brace: a file cut "
                          "short?)" if first is not None else "not valid JSON (a Bundle without its entry array)")
    return count


def _entry_lines(text: bytes, starts, ends) -> bytearray:
    """The entries text[starts[i]:ends[i] + 1] one per line: the text from the first to the last, each gap between
    two entries (a comma and spaces, outside any string) made spaces ending with the line break."""
    import numpy as np

    first = int(starts[0])
    lines = bytearray(text[first:int(ends[-1]) + 1])
    lines.append(10)  # the last line's break
    region = np.frombuffer(lines, np.uint8)  # a view: written in place
    if len(starts) > 1:
        gap_from, gap_to = ends[:-1] + 1 - first, starts[1:] - first  # each gap: [from, to)
        lengths = gap_to - gap_from
        before = np.cumsum(lengths) - lengths
        region[np.repeat(gap_from - before, lengths) + np.arange(int(lengths.sum()))] = 32
        region[gap_to - 1] = 10
    return lines


def _odd_backslashes(data, position: int) -> bool:
    run = 0
    while position - run - 1 >= 0 and data[position - run - 1] == 92:
        run += 1
    return run % 2 == 1


_NEWLINES = bytes.maketrans(b"\r\n", b"  ")


def _entry_array(chunk: bytes, marks, level, depth: int) -> int | None:
    """The position just after the `[` of the Bundle's own `"entry": [` (at depth 1) in a chunk, if there."""
    import re

    import numpy as np

    for match in re.finditer(rb'"entry"\s*:\s*\[', chunk):
        bracket = match.end() - 1
        at = np.searchsorted(marks, bracket)
        if at < len(marks) and marks[at] == bracket and int(level[at]) == 2:
            before = int(level[at - 1]) if at > 0 else depth
            if before == 1:
                return bracket + 1
    return None


@dataclass
class Staged:
    """A FHIR file read into its work files: its lines (one resource, or Bundle entry, per line) in `parts`, each
    with the number of lines before it (DuckDB reads the parts in parallel, numbering each part's lines from there),
    read in place by DuckDB's JSON reader (`fast`), else judged line by line into `parquet` (stage.py)."""
    path: Path
    layout: str            # json or ndjson, as the ingestion log says
    bundle: bool           # the lines are Bundle entries ({fullUrl, resource})
    parts: list[tuple]     # (path, lines before[, head]): parts.cut; a head (lines, bytes) reads a file in place
    parquet: Path
    objects: Path          # a folder: every entry but the file's own Encounters (stage.objects_sql), pass 1
    fast: bool = True
    typed_early: bool = False  # a Bundle's objects and Encounters written part by part while it was cut

    @property
    def encounters(self) -> Path:
        """The folder of the file's Encounters, typed (encounters.load_encounters), pass 2."""
        return self.objects.with_name(self.objects.name.replace(".objects", ".encounters"))


def _threads(con) -> int:
    return threads_of(con)


def stage(con, path: Path, workdir: Path, name: str, on_part=None) -> Staged:
    """Read a FHIR file into its work files (FhirProblem, OSError or EOFError: the file is rejected whole);
    `on_part(k, path, lines before)`: called as each part of a Bundle's lines is written whole."""
    workdir.mkdir(parents=True, exist_ok=True)
    gzipped = path.name.lower().endswith(".gz")
    size, count = part_count(path, _threads(con))
    base = workdir / f"{name}.lines"
    kind, bundle, blank = layout(path), False, False
    if kind == "ndjson" and count == 1 and not gzipped:  # read in place
        parts, blank = [(path, 0)], has_blank_lines(path)
    elif kind == "ndjson" and not gzipped:
        parts, blank = cut(path, base, count)
    elif kind == "ndjson":
        out = Parts(base, size, count)
        with (gzip.open(path, "rb") if gzipped else path.open("rb")) as source:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        parts, blank = out.close(), out.blank
    else:
        plain = path
        if gzipped:
            plain = workdir / f"{name}.plain"
            with gzip.open(path, "rb") as source, plain.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
        if top_level_type(plain) == "Bundle":
            bundle = True
            # one entry per line; parts read as they are cut (on_part): more, smaller ones, so that little is left
            # to read once the cutting ends
            pieces = max(count, min(BUNDLE_PARTS, size // BUNDLE_PART)) if on_part is not None else count
            out = Parts(base, size, pieces, check_blank=False, on_part=on_part)
            with plain.open("rb") as source:
                split_bundle(source, out)
            parts = out.close()
        else:
            try:
                resource = _loads(plain.read_bytes())
            except ValueError as exc:
                raise FhirProblem(f"not valid JSON ({exc})") from exc
            import orjson

            base.write_bytes(orjson.dumps(resource) + b"\n")
            parts = [(base, 0)]
    staged = Staged(path, kind, bundle, parts, workdir / f"{name}.parquet", workdir / f"{name}.objects")
    if blank:
        slow_path(con, staged)
    return staged


def slow_path(con, staged: Staged) -> None:
    """The file read line by line as text (stage.materialise); a line that is not UTF-8 made one that is not JSON
    either, so it is rejected with its number. FhirProblem for a Bundle, which is then not valid."""
    import duckdb

    from pipelines.ingestion.fhir.stage import materialise

    if staged.bundle:
        raise FhirProblem("not valid JSON (a Bundle entry that is not)")
    try:
        materialise(con, staged)
    except duckdb.InvalidInputException:
        clean = []
        for part, before in staged.parts:
            copy = part.with_name(part.name + ".utf8")
            _utf8_copy(part, copy)
            clean.append((copy, before))
        staged.parts = clean
        try:
            materialise(con, staged)
        except duckdb.InvalidInputException as again:
            raise FhirProblem(f"not readable as lines of JSON ({str(again).splitlines()[0]})") from again


def _utf8_copy(source: Path, target: Path) -> None:
    """A copy of a file of lines where each line that is not UTF-8 is replaced by one that is not JSON either (the
    line keeps its number and is rejected as not JSON)."""
    with source.open("rb") as lines, target.open("wb") as out:
        for line in lines:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                line = NOT_UTF8 + b"\n"
            out.write(line)


def resources(con, staged: Staged, kinds: set[str]) -> Iterator[Entry]:
    """The resources of a staged file the Python mapping reads (those of `kinds`), the entries without a
    resourceType and the lines that are not JSON objects (as entries with a problem), in file order."""
    from pipelines.ingestion.fhir.stage import python_rows_sql

    cursor = con.cursor()
    try:
        cursor.execute(python_rows_sql(staged, kinds))
        while batch := cursor.fetchmany(10_000):
            for number, full_url, raw, problem in batch:
                if problem:
                    yield Entry(number, None, None, _why(problem, raw))
                    continue
                item = _loads(raw) if raw is not None else None
                yield Entry(number, full_url, item if isinstance(item, dict) else None)
    finally:
        cursor.close()


def _why(problem: str, raw: str | None) -> str:
    """A line's problem with the JSON parser's own words (its position in the line, never the line's text)."""
    if raw is None or not problem.endswith("is not JSON"):
        return problem
    if raw == NOT_UTF8.decode():
        return f"{problem} (not UTF-8)"
    try:
        _loads(raw)
    except ValueError as exc:
        return f"{problem} ({exc})"
    return problem
