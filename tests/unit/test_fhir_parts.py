"""A file of lines cut into parts DuckDB reads side by side (pipelines/ingestion/fhir/parts.py): each part opens at a
line start, knows how many lines come before it, and the parts together are the file, byte for byte."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingestion.fhir.parts import cut, head_limit, line_ends


def _lines(text: bytes) -> list[bytes]:
    return text.splitlines(keepends=True)


def _part_bytes(part: tuple) -> bytes:
    data = part[0].read_bytes()
    return data[:part[2][1]] if len(part) > 2 else data


def test_the_line_ends_are_found_past_a_window(tmp_path):
    # line 1 is 10 bytes (9 + its break), line 2 is 30 bytes, line 3 has no break
    path = tmp_path / "f.ndjson"
    path.write_bytes(b"a" * 9 + b"\n" + b"b" * 29 + b"\n" + b"ccc")
    # an offset inside line 2 ends at 40 (10 + 30) even read 4 bytes at a time; one on a break ends just past it;
    # one in the last line ends at the file's size (43)
    assert line_ends(path, [0, 9, 12, 39, 41], window=4) == [10, 10, 40, 40, 43]


def test_three_parts_at_line_starts(tmp_path):
    path = tmp_path / "f.ndjson"
    text = b"".join(b'{"n": %d}\n' % k for k in range(1, 31))  # 30 lines: 9 of 9 bytes, 21 of 10 bytes = 291
    path.write_bytes(text)
    parts, blank = cut(path, tmp_path / "f.lines", 3)
    assert blank is False
    # lines 1-9 take 81 bytes and line k >= 10 ends at 81 + 10 (k - 9): the offsets 291 // 3 = 97 and 194 fall in
    # line 11 (bytes 91-100) and line 21 (191-200), so the parts open at 101 after 11 lines and at 201 after 21
    assert [len(p) for p in parts] == [3, 2, 2]
    assert parts[0][:2] == (path, 0) and parts[0][2] == (11, 101)
    assert parts[1][1] == 11 and parts[2][1] == 21
    assert b"".join(_part_bytes(p) for p in parts) == text
    for part in parts[1:]:
        assert _part_bytes(part).startswith(b'{"n": ')
    assert head_limit(parts[0]) == " limit 11" and head_limit(parts[1]) == ""


def test_a_line_longer_than_a_part_gives_fewer_parts(tmp_path):
    path = tmp_path / "f.ndjson"
    text = b"{}\n" + b'{"long": "' + b"x" * 200 + b'"}\n' + b"{}\n"  # lines of 3, 213 and 3 bytes = 219
    path.write_bytes(text)
    parts, _ = cut(path, tmp_path / "f.lines", 3)
    # the offsets 73 and 146 both fall in line 2, which ends at 216: two parts, the second the last line alone
    assert len(parts) == 2
    assert parts[0][2] == (2, 216) and parts[1][1] == 2
    assert _part_bytes(parts[1]) == b"{}\n"


def test_a_blank_line_is_seen_in_any_part(tmp_path):
    path = tmp_path / "f.ndjson"
    lines = [b'{"n": %d}\n' % k for k in range(1, 31)]
    lines[24] = b" \t\r\n"  # line 25, in the last part
    path.write_bytes(b"".join(lines))
    parts, blank = cut(path, tmp_path / "f.lines", 3)
    assert blank is True
    assert Path(parts[-1][0]).exists()
