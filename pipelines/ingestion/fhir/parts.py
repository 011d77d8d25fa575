"""A file of lines (one resource, or one Bundle entry, per line) cut into parts DuckDB reads side by side: a numbered
read (`with ordinality`) runs on one thread, so a large file is cut at line ends into about as many parts as DuckDB
has threads, each part remembering how many lines come before it (its lines are numbered from there). An NDJSON file
is read once to find the cuts and any blank line, then copied part by part by the kernel (`cut`); a decompressed
stream or a Bundle's entries are written through `Parts`."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

CHUNK = 8 << 20
PART_MIN = 16 << 20  # a file of lines is read in parts of at least this size, one per DuckDB thread at most
BUNDLE_PART, BUNDLE_PARTS = 64 << 20, 8  # a Bundle read as it is cut: parts of about 64 MB, at most 8
GZIP_RATIO = 10      # a gzipped export's text is about this many times its size (to choose its parts)
_BLANK = re.compile(rb"\n[ \t\r]*\n(?=.)", re.S)
_LEADING = re.compile(rb"[ \t\r]*")


def part_count(path: Path, threads: int) -> tuple[int, int]:
    """(about how many bytes of lines, how many parts) for a file: at most one part per thread, each of at least
    PART_MIN bytes (a gzipped file's text taken as GZIP_RATIO times its size)."""
    size = path.stat().st_size * (GZIP_RATIO if path.name.lower().endswith(".gz") else 1)
    return size, max(1, min(threads, size // PART_MIN))


def _blank_in(text: bytes) -> bool:
    """Whether `text` holds a blank line with something after it."""
    return _BLANK.search(text) is not None


def has_blank_lines(path: Path) -> bool:
    """Whether a file of lines has an empty (or blank) line before its last one (a line the JSON reader skips)."""
    return _scan(path, [])[0]


def _scan(path: Path, cuts: list[int]) -> tuple[bool, list[tuple[int, int]]]:
    """Read a file of lines once: whether a line is blank (has_blank_lines), and for each offset of `cuts` (in
    order), where the line it falls in ends and how many lines end before that: (end, lines). The lines are counted
    only up to the last cut; a chunk is searched alone, and across its start with the end of the one before."""
    blank, found, lines, at = False, [], 0, 0
    pending = list(cuts)
    with path.open("rb") as handle:
        tail = b"\n"  # a blank first line too
        while chunk := handle.read(CHUNK):
            if not blank:  # a blank line across two chunks: the tail, the chunk's opening spaces, a line break
                blank = _blank_in(tail + chunk[:_LEADING.match(chunk).end() + 2]) or _blank_in(chunk)
            while pending and pending[0] < at + len(chunk):
                end = chunk.find(b"\n", max(0, pending[0] - at))
                if end < 0:
                    break  # the line goes on in the next chunk
                found.append((at + end + 1, lines + chunk.count(b"\n", 0, end + 1)))
                pending.pop(0)
            if pending:
                lines += chunk.count(b"\n")
            at += len(chunk)
            tail = chunk[-64:] if len(chunk) >= 64 else (tail + chunk)[-64:]
            if pending and pending[0] < at:  # the line of a cut goes on: the cut moves to the next chunk's start
                pending[0] = at
    return blank, found


def line_ends(path: Path, offsets: list[int], window: int = 1 << 16) -> list[int]:
    """For each offset (in order), where the line it falls in ends (just past its line break; the file's size when
    it has none), found by reading from the offset on, a window at a time: the cuts are known before the file is
    read whole."""
    ends = []
    with path.open("rb") as handle:
        for offset in offsets:
            handle.seek(offset)
            at = offset
            while data := handle.read(window):
                found = data.find(b"\n")
                if found >= 0:
                    at += found + 1
                    break
                at += len(data)
            ends.append(at)
    return ends


def cut(path: Path, base: Path, count: int) -> tuple[list[tuple], bool]:
    """A plain file of lines cut into `count` parts of about the same size at line ends; returns the parts (path,
    lines before[, head]) and whether a line is blank. The first part is the file itself, read in place up to its
    head (lines, bytes: `head_limit` gives the reader its LIMIT); each other part is copied by the kernel
    (os.copy_file_range) while the file is read once for its line counts and blank lines (`_scan`): the cuts are
    found first (`line_ends`), so the copying (a tenth of a second per 250 MB) costs no time."""
    from concurrent.futures import ThreadPoolExecutor

    size = path.stat().st_size
    ends = sorted({end for end in line_ends(path, [size * k // count for k in range(1, count)]) if end < size})
    spans = list(itertools.pairwise([0, *ends, size]))
    with ThreadPoolExecutor(max(1, len(spans) - 1)) as pool:
        copies = [pool.submit(_copy_range, path, base.with_name(f"{base.name}.{k}"), start, end)
                  for k, (start, end) in enumerate(spans) if k > 0]
        blank, found = _scan(path, [end - 1 for end in ends])  # each end's line break: (end, lines before it)
        for copy in copies:
            copy.result()
    before = dict(found)
    parts = []
    for k, (start, end) in enumerate(spans):
        if k == 0:
            parts.append((path, 0) if end == size else (path, 0, (before[end], end)))
        else:
            parts.append((base.with_name(f"{base.name}.{k}"), before[start]))
    return parts, blank


def _copy_range(source: Path, target: Path, start: int, end: int) -> None:
    """Bytes [start, end) of `source` copied to `target` by the kernel."""
    import os

    with source.open("rb") as data, target.open("wb") as out:
        offset = start
        while offset < end:
            offset += os.copy_file_range(data.fileno(), out.fileno(), end - offset, offset)


def head_limit(part: tuple) -> str:
    """The LIMIT that reads only a part's lines from its file (none when the part is its whole file)."""
    return f" limit {part[2][0]}" if len(part) > 2 else ""


def whole(part: tuple, base: Path) -> tuple[Path, int]:
    """A part as a file of its own lines (the first part, read in place, copied to `base`'s name: the slow path
    reads the parts as text, whole)."""
    if len(part) < 3:
        return part
    target = base.with_name(f"{base.name}.0")
    _copy_range(part[0], target, 0, part[2][1])
    return target, part[1]


class Parts:
    """Lines written to at most `count` part files of about `size / count` bytes each, cut at line ends, each
    remembered with the number of lines before it; notes whether a line before the last one is blank (the JSON
    reader would skip it, and the lines after it lose their numbers)."""

    def __init__(self, base: Path, size: int, count: int, check_blank: bool = True, on_part=None):
        self.base, self.count, self.target = base, count, max(1, size // count)
        self.on_part = on_part  # on_part(k, path, lines before): part k is written whole
        self.parts: list[tuple[Path, int]] = []
        self.lines, self.written = 0, 0
        self.blank: bool | None = False if check_blank else None  # None: not looked for
        self._tail, self._out = b"\n", None  # a blank first line counts too

    def _next(self) -> None:
        path = self.base.with_name(f"{self.base.name}.{len(self.parts)}")
        self._out, self.written = path.open("wb"), 0
        self.parts.append((path, self.lines))

    def _put(self, data: bytes) -> None:
        self._out.write(data)
        self.lines += data.count(b"\n")
        self.written += len(data)

    def write(self, data: bytes) -> None:
        if self.blank is False and data:
            text = self._tail + data
            self.blank = _blank_in(text)
            self._tail = text[-64:]
        while data:
            if self._out is None:
                self._next()
            room = self.target - self.written
            cut = -1 if len(self.parts) >= self.count or len(data) <= room else data.find(b"\n", max(0, room - 1))
            if cut < 0:
                self._put(data)
                return
            self._put(data[:cut + 1])  # the part is full: the next one opens with the next line
            data = data[cut + 1:]
            self._end()

    def _end(self) -> None:
        self._out.close()
        self._out = None
        if self.on_part is not None:
            self.on_part(len(self.parts) - 1, *self.parts[-1])

    def close(self) -> list[tuple[Path, int]]:
        if not self.parts:  # nothing written: one empty part
            self._next()
        if self._out is not None:
            self._end()
        return self.parts
