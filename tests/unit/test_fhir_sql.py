"""Rules of the FHIR mapping written twice, in Python (the mapping of the few resources it reads: mapper.py) and in
DuckDB (the index rows: indexing.py): both give the values worked out by hand."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.ingestion.fhir.elements import IDNST_SYSTEM, organisation_finess
from pipelines.ingestion.fhir.indexing import organisation_finess_sql

CASES = [
    ("IDNST of its own system", [{"system": IDNST_SYSTEM, "value": "1740000104"}], "740000104"),
    ("a FINESS alone", [{"value": "690000013"}], "690000013"),
    ("two of the same rank: the least", [{"system": "x", "value": "1690000021"}, {"value": "690000013"}], "690000013"),
    ("the IDNST of its own system first", [{"value": "690000013"}, {"system": IDNST_SYSTEM, "value": "1740000104"}],
     "740000104"),
    ("stripped", [{"system": IDNST_SYSTEM, "value": " 1740000104\t"}], "740000104"),
    ("a number", [{"value": 690000013}], "690000013"),
    ("ten characters not opening with 1, and too short", [{"value": "2740000104"}, {"value": "12345"}], None),
    ("no identifier", [], None),
    ("empty values", [{"value": ""}, {"system": IDNST_SYSTEM}], None),
]


@pytest.mark.parametrize(("case", "identifiers", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_finess_of_an_organization(case, identifiers, expected):
    organization = {"resourceType": "Organization", "id": "o", "identifier": identifiers}
    assert organisation_finess(organization) == expected
    got = duckdb.connect().execute(f"select {organisation_finess_sql('?::VARCHAR')}",
                                   [json.dumps(organization)]).fetchone()[0]
    assert got == expected


TEXTS = ["LOC-5", " LOC-5 ", "\tLOC-5\r\n", "\u00a0LOC-5\u2003", "\u3000L", "L\u205f", "é", "Zoé", "a", "", "~", "!x!",
         "Patient/u1 ", "url urn:uuid:0f3c", "\x1c7\x1f", "x\x85"]


@pytest.mark.parametrize("text", TEXTS, ids=[repr(t) for t in TEXTS])
def test_the_keyed_hash_in_duckdb_is_pythons(text):
    """keyed.py's fhir_pseudonym (which strips a text only when its ends are not visible ASCII characters) gives the
    pseudonym of pseudonym.pseudonymise (str.strip, then HMAC-SHA256) for every kind of end, and a key longer than a
    block is hashed first in both."""
    from pipelines.ingestion.fhir.keyed import installed
    from pipelines.ingestion.pseudonym import pseudonymise

    for key in (b"test-key-not-secret-but-32-bytes-long", b"k" * 100):
        con = duckdb.connect()
        with installed(con, key):
            assert con.execute("select fhir_pseudonym(?)", [text]).fetchone()[0] == pseudonymise(key, text)


def test_the_stripped_characters_are_all_of_pythons():
    """keyed.WHITESPACE looks for Python's spaces up to U+3000 only: none lies above."""
    import sys

    from pipelines.ingestion.fhir.keyed import WHITESPACE

    assert WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


def test_the_encounters_are_resolved_by_hash_joins():
    """An identifier of the guide's form finds its usager's pseudonym and a logical subject its person, each by an
    equality DuckDB joins by hash: a condition on the Encounter alone beside it made a nested-loop join, every
    Encounter compared with every usager (a 200,000-event export of the guide's identifiers took 46 s instead of
    1.5 s). Worked out by hand: the usager part `U1` is replaced by its pseudonym, the site and the rest kept."""
    from pipelines.ingestion.fhir.encounters import _resolved_sql

    con = duckdb.connect()
    con.execute("""create table enc as select * from (values
        (1, 0, 'Encounter/e1', '3690000013/U1-EVN-1', false, '2025-01-02T08:00:00', null::VARCHAR, 'finished', 'AMB',
         'Patient/u1', null::JSON, ['Practitioner/k1'], 'Organization/o1', null::VARCHAR, null::VARCHAR, 'min',
         null::BOOLEAN, '2.1.2.1', null::VARCHAR),
        (2, 0, 'Encounter/e2', 'EV2', false, '2025-01-02T09:00:00', null, 'finished', 'AMB',
         null, '{"value": "L2"}'::JSON, ['Practitioner/k1'], 'Organization/o1', null, null, 'min', null, '2.1.2.1', null)
        ) as t(n, sub, descr, ident, is_stay, start, finish, status, class_code, subject_ref, subject_ident,
               participants, provider_ref, provider_ident, length_value, length_unit, outside, serafin,
               other_type_codes)""")
    con.execute("""create table t_refs as select * from (values
        ('Patient/u1', 'P-u1', null, null, false, null::VARCHAR[]),
        ('Practitioner/k1', null, null, 'S-k1', false, null),
        ('Organization/o1', null, '690000013', null, false, null)) as t(ref, patient, organization, professional,
                                                                        is_group, members)""")
    con.execute("""create table t_logical as select '{"value": "L2"}' as identifier, 'P-L2' as person""")
    con.execute("create table t_scrub as select '3690000013/U1' as part, 'P-U1' as pseudonym")
    con.execute("create table t_nir as select ''::VARCHAR as value, ''::VARCHAR as scrubbed where false")
    sql = _resolved_sql("enc", "t")
    plan = "\n".join(row[1] for row in con.execute(f"explain {sql}").fetchall())
    assert "HASH_JOIN" in plan
    assert not any(kind in plan for kind in ("NESTED_LOOP", "BLOCKWISE_NL", "PIECEWISE_MERGE", "CROSS_PRODUCT"))
    got = con.execute(f"select n, scrubbed, person, finess, professionals from ({sql}) order by n").fetchall()
    assert got == [(1, "3690000013/P-U1-EVN-1", "P-u1", "690000013", ["S-k1"]),
                   (2, "EV2", "P-L2", "690000013", ["S-k1"])]


def test_one_thread_is_set_once_for_nested_blocks():
    """Pass 1 holds DuckDB at one thread for all its steps (stage.one_thread): a step's own block inside it sets
    nothing, the parts are still counted for the database's threads, and leaving the outer block restores them."""
    from pipelines.ingestion.fhir.stage import one_thread, threads_of

    con = duckdb.connect(config={"threads": 2})
    setting = "select current_setting('threads')"
    with one_thread(con):
        assert con.execute(setting).fetchone()[0] == 1
        assert threads_of(con) == 2
        with one_thread(con):
            assert con.execute(setting).fetchone()[0] == 1
        assert con.execute(setting).fetchone()[0] == 1  # the inner block restored nothing
    assert con.execute(setting).fetchone()[0] == 2
    assert threads_of(con) == 2


SERAFIN_SYSTEM = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
OTHER_SYSTEM = "http://example.org/actes"
TYPES = [  # (case, Encounter.type as exported, its SERAFIN-PH code, its other codes), each worked out by hand
    ("the usual type", [{"coding": [{"system": SERAFIN_SYSTEM, "code": "2.3.3.1"}]}], "2.3.3.1", None),
    ("spaces in the export and the code", [{"coding": [{"system": SERAFIN_SYSTEM, "code": " 2.1 "}]}], "2.1", None),
    ("a display", [{"coding": [{"system": SERAFIN_SYSTEM, "code": "2.1", "display": "Soins"}]}], "2.1", None),
    ("the code before the system", [{"coding": [{"code": "2.2", "system": SERAFIN_SYSTEM}]}], "2.2", None),
    ("a quote in the code", [{"coding": [{"system": SERAFIN_SYSTEM, "code": 'a"b'}]}], 'a"b', None),
    ("a backslash in the code", [{"coding": [{"system": SERAFIN_SYSTEM, "code": "2.1\\x"}]}], "2.1\\x", None),
    ("a code that is not ASCII", [{"coding": [{"system": SERAFIN_SYSTEM, "code": "2.1é"}]}], "2.1é", None),
    ("a code ending as the type does", [{"coding": [{"system": SERAFIN_SYSTEM, "code": "2.1}]"}]}], "2.1}]", None),
    ("an empty code", [{"coding": [{"system": SERAFIN_SYSTEM, "code": ""}]}], None, SERAFIN_SYSTEM + "#"),
    ("another system", [{"coding": [{"system": OTHER_SYSTEM, "code": "Z9"}]}], None, OTHER_SYSTEM + "#Z9"),
    ("the system in lower case", [{"coding": [{"system": SERAFIN_SYSTEM.lower(), "code": "2.4"}]}], "2.4", None),
    ("two codings, SERAFIN-PH second", [{"coding": [{"system": OTHER_SYSTEM, "code": "Z9"},
                                                    {"system": SERAFIN_SYSTEM, "code": "2.5"}]}], "2.5", None),
    ("two CodeableConcepts", [{"text": "atelier"}, {"coding": [{"system": SERAFIN_SYSTEM, "code": "2.6"}]}], "2.6",
     None),
    ("a single CodeableConcept", {"coding": [{"system": SERAFIN_SYSTEM, "code": "2.7"}]}, "2.7", None),
    ("a text alone", [{"text": "atelier"}], None, "atelier"),
]


def test_the_serafin_code_of_every_shape_of_type(tmp_path):
    """The usual type (one coding of the guide's SERAFIN-PH system) is read from the reader's JSON text without
    parsing it again (encounters.ONE_CODE); every other shape is parsed: each gives the code and the other codes
    worked out by hand, whichever way it is read."""
    from pipelines.ingestion.fhir.encounters import ENCOUNTERS, ONE_CODE, ONE_SERAFIN
    from pipelines.ingestion.fhir.stage import part_encounters_sql

    lines = tmp_path / "types.ndjson"
    lines.write_text("".join(json.dumps({"resourceType": "Encounter", "id": f"e{k}", "type": type_}) + "\n"
                             for k, (_, type_, _, _) in enumerate(TYPES)), encoding="utf-8")
    sql = ENCOUNTERS.replace("{entries}", part_encounters_sql(False, (lines, 0)))
    con = duckdb.connect()
    got = con.execute(f"select serafin, other_type_codes from ({sql}) order by n").fetchall()
    assert got == [(serafin, other) for _, _, serafin, other in TYPES]
    # the first two are read without parsing (the reader writes them minified); a display is not
    shortcut = con.execute(f"select {ONE_SERAFIN} from (select n, {ONE_CODE} as one "
                           f"from ({part_encounters_sql(False, (lines, 0))})) order by n").fetchall()
    assert [row[0] for row in shortcut[:3]] == ["2.3.3.1", "2.1", None]
