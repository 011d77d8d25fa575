"""The keyed hashes of the FHIR mapping computed by DuckDB, a set at a time: the same HMAC-SHA256 as
`pipelines.ingestion.pseudonym.pseudonymise` (so a person's pseudonym is the one its CSV rows give), written with
DuckDB's `sha256` over the key's inner and outer pads (RFC 2104), and the reference keys of `elements.ref_keys`.

`installed(con, key)` defines, for the duration of a `with` block, the temporary macros
`fhir_pseudonym(text)` (`P` + 20 hex characters, the text stripped as Python's `str.strip` does),
`fhir_url_key(reference)` and `fhir_id_key(reference)` (NULL when the reference does not end in `Type/id`). The
pads live only in the connection's temporary catalogue, never in a table or a file, and are dropped on leaving."""

from __future__ import annotations

from contextlib import contextmanager

from pipelines.ingestion.fhir.elements import REFERENCE
from pipelines.ingestion.sql_values import literal as _text

BLOCK = 64  # SHA-256's block size: a key longer than that is hashed first (RFC 2104)
# every character Python's str.strip removes (none lies above U+3000, IDEOGRAPHIC SPACE: looking there too cost 0.15 s
# of every import; tests/unit/test_fhir_sql.py checks it against the whole of Unicode)
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
REFERENCE_SQL = REFERENCE.pattern  # RE2 reads it alike: no look-around
MACROS = ("fhir_pseudonym", "fhir_url_key", "fhir_id_of", "fhir_id_key", "fhir_hmac")


def _blob(data: bytes) -> str:
    return "'" + "".join(f"\\x{b:02x}" for b in data) + "'::BLOB"


@contextmanager
def installed(con, key: bytes):
    import hashlib

    padded = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)
    ref = _text(REFERENCE_SQL)
    con.execute(f"create or replace temp macro fhir_hmac(x) as "
                f"sha256({_blob(outer)} || unhex(sha256({_blob(inner)} || encode(x))))")
    # stripped as str.strip strips (the trim of every Unicode space is dear: only a text that does not open and end
    # with a visible ASCII character needs it)
    stripped = (f"case when ord(left(x, 1)) between 33 and 126 and ord(right(x, 1)) between 33 and 126 then x "
                f"else trim(x, {_text(WHITESPACE)}) end")
    con.execute(f"create or replace temp macro fhir_pseudonym(x) as 'P' || left(fhir_hmac({stripped}), 20)")
    con.execute("create or replace temp macro fhir_url_key(r) as fhir_pseudonym('url ' || r)")
    # the reference read by one regular expression (its type is never empty when it matches): `fhir_id_of` is given
    # the match, whose three uses DuckDB computes once
    con.execute("create or replace temp macro fhir_id_of(m) as case when m.t <> '' then "
                "fhir_pseudonym('id ' || m.t || '/' || m.i) end")
    con.execute(f"create or replace temp macro fhir_id_key(r) as fhir_id_of(regexp_extract(r, {ref}, ['t', 'i']))")
    try:
        yield
    finally:
        for name in reversed(MACROS):
            con.execute(f"drop macro if exists temp.{name}")
