"""The bytes of a landing file: container, encoding, the text DuckDB reads (pipelines/ingestion/encodings.py).
No pipeline run: each case is a few bytes written here, and the expected decision is the one a person makes
reading them."""

from __future__ import annotations

import gzip
import random

import pytest

from pipelines.ingestion import encodings

HEADER = "usager;libelle\n"


@pytest.mark.parametrize(("data", "expected"), [
    (gzip.compress(b"a;b\n1;2\n", mtime=0), "gzip"),
    (b"PK\x03\x04rest of a workbook", "zip"),
    ("a;b\n".encode("utf-16"), "utf-16-le"),  # Python writes the little-endian mark
    (b"\xfe\xff\x00a\x00;\x00b", "utf-16-be"),
    ("a;b\n1;é\n".encode("utf-16-le"), "utf-16-le"),  # no mark: every other byte NUL
    (bytes(range(256)) * 4, "binary"),
    (b"a;b\n1;2\n", "text"),
], ids=["gzip", "zip", "utf-16-bom", "utf-16-be-bom", "utf-16-no-bom", "binary", "text"])
def test_container_is_read_from_the_bytes_not_the_name(tmp_path, data, expected):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert encodings.sniff_container(path) == expected


def test_first_guess_of_the_encoding(tmp_path):
    utf8, cp1252 = tmp_path / "u.csv", tmp_path / "w.csv"
    utf8.write_bytes((HEADER + "1;Zoé\n").encode())
    cp1252.write_bytes((HEADER + "1;Zoé\n").encode("cp1252"))
    assert encodings.detect_encoding(utf8) == "utf-8"
    assert encodings.detect_encoding(cp1252) == "cp1252"


def test_windows_1252_is_read_as_latin_1_only_where_both_give_the_same_text(tmp_path):
    plain, euro, mixed = tmp_path / "plain.csv", tmp_path / "euro.csv", tmp_path / "mixed.csv"
    plain.write_bytes("é à ç\n".encode("cp1252"))  # the same bytes in Latin-1
    euro.write_bytes("12 €\n".encode("cp1252"))  # 0x80: € in Windows-1252, a control character in Latin-1
    mixed.write_bytes("é\n".encode("cp1252") + "é\n".encode())  # a UTF-8 line stays UTF-8
    assert encodings.latin1_readable(plain)
    assert not encodings.latin1_readable(euro)
    assert not encodings.latin1_readable(mixed)


def test_a_file_written_by_two_tools_is_transcoded_line_by_line(tmp_path):
    src, dst = tmp_path / "src.csv", tmp_path / "dst.csv"
    src.write_bytes(HEADER.encode() + "1;Zoé\n".encode() + "2;Loïc l’aîné\n".encode("cp1252"))
    assert encodings.transcode_per_line(src, dst) == "utf-8+cp1252"
    assert dst.read_text(encoding="utf-8") == HEADER + "1;Zoé\n2;Loïc l’aîné\n"


def test_prepare_csv_unpacks_transcodes_or_reads_in_place(tmp_path):
    gz = tmp_path / "a.csv.gz"
    gz.write_bytes(gzip.compress((HEADER + "1;Zoé\n").encode("cp1252")))
    text = encodings.prepare_csv(gz, tmp_path, "a")
    assert (text.encoding, text.read_as) == ("gzip, cp1252", "latin-1")
    assert text.path != gz and text.path.read_bytes() == (HEADER + "1;Zoé\n").encode("cp1252")

    utf16 = tmp_path / "b.csv"
    utf16.write_bytes((HEADER + "1;Zoé\n").encode("utf-16"))
    text = encodings.prepare_csv(utf16, tmp_path, "b")
    assert text.encoding == "utf-16"
    assert text.path.read_text(encoding="utf-8") == HEADER + "1;Zoé\n"


@pytest.mark.parametrize(("data", "words"), [
    (b"PK\x03\x04" + bytes(100), "ZIP archive"),
    (bytes(range(256)) * 4, "binary"),
])
def test_what_is_not_csv_text_gets_a_sentence(tmp_path, data, words):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(encodings.UnreadableFile, match=words):
        encodings.prepare_csv(path, tmp_path, "x")


def test_a_cut_gzip_is_unreadable_with_its_reason(tmp_path):
    path = tmp_path / "cut.csv.gz"
    data = gzip.compress(random.Random(1).randbytes(50_000))
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(encodings.UnreadableFile, match="damaged gzip"):
        encodings.gunzip(path, tmp_path / "out.csv")


def test_open_bytes_streams_gzip_or_plain_alike(tmp_path):
    plain, packed = tmp_path / "p.json", tmp_path / "g.json.gz"
    plain.write_bytes(b'{"a": 1}')
    packed.write_bytes(gzip.compress(b'{"a": 1}'))
    for path in (plain, packed):
        with encodings.open_bytes(path) as handle:
            assert handle.read() == b'{"a": 1}'


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    # the SHA-256 of "abc" (FIPS 180-2, appendix B.1)
    assert encodings.sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
