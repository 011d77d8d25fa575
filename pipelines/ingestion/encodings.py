"""The bytes of a landing file, before any reader sees them: its container (gzip, ZIP, UTF-16, binary), its
encoding (UTF-8, Windows-1252, both mixed line by line) and the UTF-8 text DuckDB reads. Also the file's hash and a
streamed, decompressed view of its bytes for the FINESS and FHIR readers."""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 22
HASH_CHUNK = 1 << 24  # sha256_of: few reads, each hashed without the GIL
GZIP_NOTE = "gzip, "  # before the encoding of a file that came gzipped


class UnreadableFile(Exception):
    """The file cannot be read at all; the message says why in words a person understands."""


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (hex), read 16 MB at a time into one reused buffer: no fresh block (and its page faults) per
    read, and few enough reads that a thread holding the GIL beside it (the FHIR scan) does not starve it
    (`hashlib.file_digest`'s 256 KB reads took it from 0.5 s to 0.9 s on 509 MB)."""
    digest, buffer = hashlib.sha256(), bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
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


# each byte's class for `latin1_readable`: X where Windows-1252 and Latin-1 differ (0x80-0x9F: €, ’, œ…), C a UTF-8
# continuation byte otherwise (0xA0-0xBF), L a UTF-8 lead byte (0xC2-0xF4), `.` the rest
_BYTE_CLASSES = bytes(ord("X") if 0x80 <= b < 0xA0 else ord("C") if 0xA0 <= b < 0xC0
                      else ord("L") if 0xC2 <= b <= 0xF4 else ord(".") for b in range(256))


def latin1_readable(path: Path) -> bool:
    """Whether DuckDB may read a Windows-1252 file itself, as Latin-1, with the same text `transcode_per_line`
    would give: no byte where the two encodings differ (0x80-0x9F), and no UTF-8 sequence (a line that is valid
    UTF-8 stays UTF-8 there). One pass of `bytes.translate` over the file: a tenth of the time transcoding takes."""
    previous = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            classes = (previous + chunk).translate(_BYTE_CLASSES)
            if b"X" in classes or b"LC" in classes:
                return False
            previous = chunk[-1:]  # a lead byte at the end of a chunk, its continuation in the next
    return True


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



@dataclass
class Utf8Text:
    """A CSV file's text as DuckDB can read it: the file itself (UTF-8, or Windows-1252 read as Latin-1), or its
    UTF-8 copy in the work folder."""
    path: Path
    encoding: str  # the file's encoding, after "gzip, " when it came gzipped
    read_as: str = "utf-8"  # how DuckDB decodes `path` (CsvFile.encoding)


def prepare_csv(path: Path, workdir: Path, name: str) -> Utf8Text:
    """A CSV file made text DuckDB reads: unpacked when gzip; transcoded to UTF-8 when UTF-16, or Windows-1252 that
    Latin-1 would read otherwise (Python, a few seconds for a large file: the landing runs it for the next file
    while DuckDB reads this one); other Windows-1252 text is read as it is, as Latin-1 (`latin1_readable`). A ZIP
    or binary file gets a reason a person understands."""
    source = path
    container = sniff_container(source)
    compressed = ""
    if container == "gzip":
        source, compressed = workdir / (name + ".gunzip.csv"), GZIP_NOTE
        gunzip(path, source)
        container = sniff_container(source)
    if container == "zip":
        raise UnreadableFile("the file is a ZIP archive, not CSV text (an Excel workbook saved under a .csv "
                             "name? give it the .xlsx extension)")
    if container == "binary":
        raise UnreadableFile("the file is binary, not CSV text (export it again as CSV, or as .xlsx)")
    if container.startswith("utf-16"):
        utf8 = workdir / (name + ".utf8.csv")
        transcode_to_utf8(source, utf8, "utf-16" if _head(source, 2) in UTF16_BOMS else container)
        return Utf8Text(utf8, compressed + container[:6])
    encoding = detect_encoding(source)
    if encoding != "utf-8" and latin1_readable(source):
        # Windows-1252 text that Latin-1 reads the same: DuckDB decodes it while it reads, no copy
        return Utf8Text(source, compressed + "cp1252", "latin-1")
    if encoding != "utf-8":
        utf8 = workdir / (name + ".utf8.csv")
        encoding = transcode_per_line(source, utf8)
        source = utf8
    return Utf8Text(source, compressed + encoding)
