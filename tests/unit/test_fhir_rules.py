"""The rules the DuckDB mapping of the TDDUI Encounters, Patients and QuestionnaireResponses keeps, each on small
files worked out by hand, through the ingestion alone (`land_folder`: no dbt, cheap): Groups, roles, logical subjects
and stays, Bundle entries whatever the layout, a type given as one object, the SERAFIN responses, a file read in parts,
the members' order, the thousand-row rule, the scrubbing of identifiers, the index row file."""

from __future__ import annotations

import gzip
import json

import pytest

from tests import fhir_landing as fl
from tests.fhir_landing import ORG, SEJOUR, SERAFIN


def test_groups_roles_logical_subjects_and_stays_in_sql(tmp_path):
    """By hand: a Group of u1 and an unknown Patient gives u1's row and a rejection for the other member; two
    participants (the second through a PractitionerRole, the first repeated) give two rows per person, ranked; a
    logical subject (Reference.identifier) is the local id pseudonymised; a séjour without subject is rejected; an
    NDJSON line holding a Bundle numbers its entries by the line."""
    role = {"resourceType": "PractitionerRole", "id": "r2", "practitioner": {"reference": "Practitioner/k2"}}
    group = {"resourceType": "Group", "id": "g1", "member": [{"entity": {"reference": "Patient/u1"}},
                                                             {"entity": {"reference": "Patient/nobody"}}]}
    two = [{"individual": {"reference": "Practitioner/k1"}}, {"individual": {"reference": "PractitionerRole/r2"}},
           {"individual": {"reference": "Practitioner/k1"}}]
    stay = {"resourceType": "Encounter", "id": "s1", "meta": {"profile": [SEJOUR]}, "identifier": [{"value": "S1"}],
            "class": {"code": "IMP"}, "period": {"start": "2025-01-01"},
            "serviceProvider": {"reference": "Organization/o1"}}
    bundle_line = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": fl.event(7)}, {"resource": fl.event(8, subject={"identifier": {"value": "LOC-9"}})}]}
    con, _ = fl.land(tmp_path, {"rules.ndjson": fl.lines(
        {"resourceType": "Practitioner", "id": "k2", "identifier": [{"value": "PRO2"}]}, role, group,
        fl.event(4, subject={"reference": "Group/g1"}), fl.event(5, participant=two), stay, bundle_line)})
    u1 = fl.pid("LOC-1")
    assert fl.activity(con, "rules.ndjson") == [
        ("EV4", u1, fl.pro("PRO1"), 4000), ("EV5", u1, fl.pro("PRO1"), 5000), ("EV5", u1, fl.pro("PRO2"), 5001),
        ("EV7", u1, fl.pro("PRO1"), 7000), ("EV8", fl.pid("LOC-9"), fl.pro("PRO1"), 7001)]
    assert [(r[0], r[1], r[2], r[4]) for r in fl.rejections(con, "rules.ndjson")] == [
        ("activity", 4000, "subject",
         "a member of the Group subject: no Patient with this reference in the files (entry 4)"),
        ("stays", 6000, "subject", "subject: no Patient with this reference in the files (entry 6)")]
    started = con.execute("select started_at, setting, status from raw.activity where event_id = 'EV5' limit 1"
                          ).fetchone()
    assert started == ("2025-03-05T09:00:00", "structure", "realise")  # wall-clock time, AMB, finished


@pytest.mark.parametrize("name", ["pretty.json", "compact.json"])
def test_bundle_entries_are_cut_whatever_the_layout(tmp_path, name):
    """The Bundle splitter on text with braces, brackets, quotes and backslashes inside strings."""
    tricky = fl.event(2, extension=[{"url": 'x"}]{[\\', "valueString": 'a "quoted" } ] { [ \\\\ value'}])
    bundle = {"resourceType": "Bundle", "meta": {"tag": [{"code": "entry"}]}, "type": "collection",
              "link": [{"relation": "self", "url": "x"}],
              "entry": [{"fullUrl": "urn:uuid:o1", "resource": ORG}, {"resource": tricky}, {"resource": fl.event(3)}],
              "signature": {"data": "]}"}}
    text = json.dumps(bundle, indent=2 if name.startswith("pretty") else None).encode()
    con, outcomes = fl.land(tmp_path, {name: text})
    assert outcomes[name].status == "loaded", outcomes[name].message
    assert [(r[0], r[3]) for r in fl.activity(con, name)] == [("EV2", 2000), ("EV3", 3000)]


def test_an_encounter_type_given_as_one_object(tmp_path):
    """Some exports give Encounter.type as one CodeableConcept, not an array: its SERAFIN-PH coding is the
    prestation as with an array, and an event without one is kept as unmapped with its other codes and text."""
    other = {"coding": [{"system": "http://example.org/actes", "code": "Z9", "display": "Autre"}], "text": "atelier"}
    con, _ = fl.land(tmp_path, {"types.ndjson": fl.lines(
        fl.event(1, type={"coding": [{"system": SERAFIN, "code": "2.3.3.1"}]}), fl.event(2, type=other))})
    assert con.execute("select event_id, prestation_code from raw.activity where _file = 'fhir/types.ndjson'"
                       ).fetchall() == [("EV1", "2.3.3.1")]
    assert con.execute("select event_id, other_type_codes, _line from raw.fhir_unmapped_events "
                       "where _file = 'fhir/types.ndjson'").fetchall() == [
        ("EV2", "http://example.org/actes#Z9 Autre | atelier", 2000)]


def test_serafin_responses_and_patients_mapped_in_sql(tmp_path):
    """By hand, over the linkIds of nomenclatures/tddui_serafin_linkids.csv: the items walked in document order (an
    item, the items under its answers, then its own sub-items); the level from the first answer (an integer, a code,
    false → 0, a decimal truncated, anything else none); the free-text comment gives no row, an unknown linkId is
    rejected, a response without `authored` too; a logical subject is the local id pseudonymised; a response to
    another questionnaire gives nothing. A Patient's INS (typed by a single CodeableConcept) is passed over for its
    local identifier, stripped."""
    questionnaire = "https://interop.esante.gouv.fr/ig/fhir/tddui/Questionnaire/tddui-questionnaire-serafin"
    q1 = {"resourceType": "QuestionnaireResponse", "id": "q1", "questionnaire": questionnaire,
          "subject": {"reference": "Patient/u1"}, "authored": "2025-02-03T10:00:00+01:00",
          "item": [{"linkId": "besoin-serafin", "item": [
              {"linkId": "besoin-fonc-ment", "answer": [
                  {"valueInteger": 2, "item": [{"linkId": "besoin-douleur", "answer": [{"valueBoolean": False}]}]}]},
              {"linkId": "besoin-voix", "answer": [{"valueCoding": {"code": "3"}}]},
              {"linkId": "commentaire-serafin", "answer": [{"valueString": "RAS"}]},
              {"linkId": "inconnu", "answer": [{"valueBoolean": True}]},
              {"linkId": "besoin-cardio-vasc", "answer": [{"valueString": "oui"}]}]}]}
    q2 = {**q1, "id": "q2", "authored": None}
    q3 = {"resourceType": "QuestionnaireResponse", "id": "q3", "questionnaire": questionnaire,
          "subject": {"identifier": {"value": "LOC-9"}}, "authored": "2025-02-04",
          "item": [{"linkId": "besoin-voix", "answer": [{"valueDecimal": 1.5}]}]}
    q4 = {**q1, "id": "q4", "questionnaire": "https://example.org/Questionnaire/satisfaction"}
    patient = {"resourceType": "Patient", "id": "u5", "gender": "other", "identifier": [
        {"type": {"coding": [{"code": "INS-NIR"}]}, "value": "X1"}, {"value": " LOC-5 "}]}
    con, outcomes = fl.land(tmp_path, {"qr.ndjson": fl.lines(q1, q2, q3, q4, patient)})
    u1 = fl.pid("LOC-1")
    assert con.execute("select person_id, assessed_on, need_code, level, source, _line from raw.needs "
                       "where _file = 'fhir/qr.ndjson' order by _line").fetchall() == [
        (u1, "2025-02-03", "1.1.1", "2", "esms", 1000), (u1, "2025-02-03", "1.1.3", "0", "esms", 1001),
        (u1, "2025-02-03", "1.1.4", "3", "esms", 1002), (u1, "2025-02-03", "1.1.5", None, "esms", 1003),
        (fl.pid("LOC-9"), "2025-02-04", "1.1.4", "1", "esms", 3000)]
    assert fl.rejections(con, "qr.ndjson") == [
        ("needs", 1000, "linkId", "QuestionnaireResponse/q1", "linkId 'inconnu' is not an item of the SERAFIN "
         "questionnaire (nomenclatures/tddui_serafin_linkids.csv) (entry 1)"),
        ("needs", 2000, "authored", "QuestionnaireResponse/q2", "SERAFIN evaluation without its date (authored) "
         "(entry 2)")]
    assert con.execute("select person_id, birth_year, sex, _line from raw.persons where _file = 'fhir/qr.ndjson'"
                       ).fetchall() == [(fl.pid("LOC-5"), None, "U", 5000)]
    assert outcomes["qr.ndjson"].rows_read == 5 + 1 + 2


def _landed(con) -> dict[str, list[tuple]]:
    tables = ("activity", "stays", "persons", "needs", "fhir_unmapped_events", "fhir_index", "row_rejections")
    got = {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in tables}
    got["ingested_files"] = con.execute("select file, status, rows_read, message from raw.ingested_files "
                                        "order by file").fetchall()
    return got


def test_a_file_read_in_parts_gives_what_it_gives_whole(tmp_path, monkeypatch):
    """A large file is cut into parts DuckDB reads in parallel (parts.py), its lines numbered in the whole file.
    Forced here on small files (parts of a line or two, three or four per file): an NDJSON file with a Group, several
    participants and a séjour, one with lines that are not JSON, objects or UTF-8 and a blank line (the slow path),
    one with a line that is not JSON and no blank line (the slow way found while reading its parts),
    a Bundle and a gzipped NDJSON file each land exactly the rows, lines, rejections and index they land whole (a
    plain file's first part read in place, up to its last line: every part but the first is a copy)."""
    import pipelines.ingestion.fhir as fhir
    from pipelines.ingestion.fhir import files as fhir_files
    from pipelines.ingestion.fhir import parts as fhir_parts

    group = {"resourceType": "Group", "id": "g1", "member": [{"entity": {"reference": "Patient/u1"}},
                                                             {"entity": {"reference": "Patient/nobody"}}]}
    stay = {"resourceType": "Encounter", "id": "s1", "meta": {"profile": [SEJOUR]}, "identifier": [{"value": "S1"}],
            "class": {"code": "IMP"}, "period": {"start": "2025-01-01"}, "subject": {"reference": "Patient/u1"},
            "serviceProvider": {"reference": "Organization/o1"}}
    events = [fl.event(n) for n in range(1, 9)] + [group, fl.event(9, subject={"reference": "Group/g1"}), stay]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in events]}
    files = {"events.ndjson": fl.lines(*events),
             "messy.ndjson": fl.lines(fl.event(1), b"{broken", b"[1, 2]", b"", b'{"resourceType": "Patient", "id": "\xe9"}',
                                    fl.event(6), fl.event(7)),
             "broken.ndjson": fl.lines(fl.event(1), fl.event(2), b"{broken", fl.event(6), fl.event(7)),  # no blank line
             "bundle.json": json.dumps(bundle, indent=1).encode(),
             "events.ndjson.gz": gzip.compress(fl.lines(*events))}
    whole_con, _ = fl.land(tmp_path / "whole", files)
    whole = _landed(whole_con)
    parts: dict[str, int] = {}
    staging = fhir.stage

    in_place: dict[str, bool] = {}

    def counted(con, path, workdir, name, on_part=None):
        staged = staging(con, path, workdir, name, on_part=on_part)
        parts[path.name] = len(staged.parts)
        in_place[path.name] = staged.parts[0][0] == path
        return staged

    monkeypatch.setattr(fhir_parts, "PART_MIN", 1)
    monkeypatch.setattr(fhir_files, "_threads", lambda con: 4)
    monkeypatch.setattr(fhir, "stage", counted)
    parted_con, _ = fl.land(tmp_path / "parted", files)
    assert sorted(parts) == sorted([*files, "0-referentiel.ndjson"])
    assert all(parts[name] >= 3 for name in files), parts  # about a quarter of each file per part
    # a plain NDJSON file's first part is the file itself, read up to its last line (the others are copies); one
    # read the slow way (a blank line) has its first part copied too, to be read whole as text
    assert in_place == {"0-referentiel.ndjson": True, "events.ndjson": True, "messy.ndjson": False,
                        "broken.ndjson": True,
                        "bundle.json": False, "events.ndjson.gz": False}
    parted = _landed(parted_con)
    assert len(whole["activity"]) == 3 * (8 + 1) + 3 + 4  # 8 events and the Group's known member, thrice; messy 3; broken 4
    assert [r[2] for r in whole["row_rejections"] if r[1] == "fhir/broken.ndjson"] == [3000]
    assert [r[2] for r in whole["row_rejections"] if r[1] == "fhir/messy.ndjson"] == [2000, 3000, 5000]
    for table, rows in whole.items():
        assert parted[table] == [tuple(r) for r in rows], table


def test_a_groups_members_give_rows_in_the_groups_order(tmp_path):
    """By hand: a Group of u2, u1 and u3 (in that order, u3 unknown) gives u2's row at rank 0 and u1's at rank 1, two
    Groups naming the same members in other orders each keep their own, and the unknown member is rejected."""
    u2 = {"resourceType": "Patient", "id": "u2", "identifier": [{"value": "LOC-2"}]}
    first = {"resourceType": "Group", "id": "g1", "member": [{"entity": {"reference": "Patient/u2"}},
                                                             {"entity": {"reference": "Patient/u1"}},
                                                             {"entity": {"reference": "Patient/u3"}}]}
    second = {"resourceType": "Group", "id": "g2", "member": [{"entity": {"reference": "Patient/u1"}},
                                                              {"entity": {"reference": "Patient/u2"}}]}
    con, _ = fl.land(tmp_path, {"groups.ndjson": fl.lines(
        u2, first, second, fl.event(4, subject={"reference": "Group/g1"}), fl.event(5, subject={"reference": "Group/g2"}))})
    u1, p2 = fl.pid("LOC-1"), fl.pid("LOC-2")
    assert [(r[1], r[3]) for r in fl.activity(con, "groups.ndjson")] == [(p2, 4000), (u1, 4001), (u1, 5000), (p2, 5001)]
    assert [(r[1], r[2], r[4]) for r in fl.rejections(con, "groups.ndjson")] == [
        (4000, "subject", "a member of the Group subject: no Patient with this reference in the files (entry 4)")]


def test_a_resource_giving_more_than_a_thousand_rows(tmp_path):
    """By hand: a Group of 40 patients seen by 30 professionals gives 40 × 30 = 1,200 rows; its first 1,000 (ranks 0
    to 999) are kept and each of the 200 others is rejected, as the Python mapping rejects each row beyond (rows read
    = loaded + rejected). An NDJSON line holding a Bundle of two such events ranks their rows one after the other:
    the first event's ranks 0-1,199 (1,000 kept, 200 rejected), the second's 1,200-2,399 (all 1,200 rejected)."""
    from collections import Counter

    patients = [{"resourceType": "Patient", "id": f"v{k}", "identifier": [{"value": f"LOC-V{k}"}]} for k in range(40)]
    pros = [{"resourceType": "Practitioner", "id": f"q{k}", "identifier": [{"value": f"PRO-Q{k}"}]} for k in range(30)]
    group = {"resourceType": "Group", "id": "big", "member": [{"entity": {"reference": f"Patient/v{k}"}}
                                                              for k in range(40)]}
    many = [{"individual": {"reference": f"Practitioner/q{k}"}} for k in range(30)]
    big = fl.event(1, subject={"reference": "Group/big"}, participant=many)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": fl.event(2, subject={"reference": "Group/big"}, participant=many)},
        {"resource": fl.event(3, subject={"reference": "Group/big"}, participant=many)}]}
    # lines 1-40 the patients, 41 the Group, 42-71 the professionals, 72 the big event, 73 the Bundle
    con, _ = fl.land(tmp_path, {"big.ndjson": fl.lines(*patients, group, *pros, big, bundle)})
    lines = [r[3] for r in fl.activity(con, "big.ndjson")]
    assert lines == [*range(72000, 73000), *range(73000, 74000)]
    assert Counter((r[1], r[4]) for r in fl.rejections(con, "big.ndjson")) == {
        (72000, "more than 1000 rows from one resource (entry 72)"): 200,
        (73000, "more than 1000 rows from one resource (entry 73)"): 1400}


def test_a_nir_anywhere_in_an_events_identifier_is_scrubbed(tmp_path):
    """By hand: the guide's form keeps its site, its usager becomes the pseudonym of `site/usager`, and a NIR-shaped
    number in its rest (13 or 15 digits between non-digits) becomes its own pseudonym; an identifier of another form
    has only its NIR-shaped numbers replaced; 14 digits are not NIR-shaped and stay."""
    rest_nir, other_nir = "184057512345678", "2840575123456"
    con, _ = fl.land(tmp_path, {"ids.ndjson": fl.lines(
        fl.event(1, identifier=[{"value": f"3690000013/U1-EVN-{rest_nir}"}]),
        fl.event(2, identifier=[{"value": f"DOSSIER-{other_nir}-2"}]),
        fl.event(3, identifier=[{"value": "3690000013/U1-EVN-12345678901234"}]))})
    usager = fl.pid("3690000013/U1")
    assert [r[0] for r in fl.activity(con, "ids.ndjson")] == [
        f"3690000013/{usager}-EVN-{fl.pid(rest_nir)}",
        f"DOSSIER-{fl.pid(other_nir)}-2",
        f"3690000013/{usager}-EVN-12345678901234"]


def test_the_index_row_file_keeps_no_resource_id(tmp_path):
    """Pass 1 notes beside each index row the reference `Type/id` it answers (so that pass 2 does not hash the file's
    references to its own resources again); the index row file leaves it out: its columns are the contract's, and
    no id of the file (`u1`, `Patient/u1`, `k1`) is stored in any row file."""
    con, _ = fl.land(tmp_path, {"events.ndjson": fl.lines(fl.event(1))})
    columns = [r[0] for r in con.execute("describe raw.fhir_index").fetchall()]
    assert columns == ["resource_type", "resource_id", "full_url", "value", "_file", "_line"]
    files = sorted((tmp_path / "w.duckdb").parent.glob("**/*.parquet"))
    assert files, "no row file written"
    for path in files:
        text = con.execute(f"select string_agg(columns(*)::varchar, '|') from read_parquet('{path}')").fetchall()
        assert not any(s in str(text) for s in ("Patient/u1", "Practitioner/k1", "Organization/o1")), path
    assert [r[0] for r in fl.activity(con, "events.ndjson")] == ["EV1"]  # the reference to u1 resolved all the same
