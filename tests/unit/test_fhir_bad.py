"""Bad TDDUI files, each tried as a new user would, through the ingestion alone (`land_folder`: no dbt, cheap): a
Bundle cut half-way, JSON that is not FHIR, lines that are not JSON (or not objects, or not UTF-8, or blank), a gzip
stream cut short, a Patient carrying an INS-NIR, a name and a phone. Each is held as the FHIR path always held it:
the file, or the line, rejected with its reason and position, the rest loaded, nothing personal stored. Also the
rules the DuckDB mapping of the Encounters keeps, on small files worked out by hand."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

E = "690000013"
SERAFIN = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
SEJOUR = "https://interop.esante.gouv.fr/ig/fhir/tddui/StructureDefinition/tddui-encounter-sejour"
NIR = "284057512345678"
KEY = os.environ.get("SERAFIN_PSEUDONYM_KEY", "test-key-not-secret-but-32-bytes-long").encode()


def _pid(local: str) -> str:
    from pipelines.ingestion.pseudonym import pseudonymise

    return pseudonymise(KEY, local)


def _pro(local: str) -> str:
    """A professional's pseudonym: the same keyed hash as a person's, with the prefix S."""
    return "S" + _pid(local)[1:]


ORG = {"resourceType": "Organization", "id": "o1", "name": "IME Les Tilleuls",
       "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + E}]}
PRO = {"resourceType": "Practitioner", "id": "k1", "identifier": [{"value": "PRO1"}]}
PATIENT = {"resourceType": "Patient", "id": "u1", "identifier": [{"value": "LOC-1"}], "birthDate": "2010-01-01"}


def _event(number: int, **extra) -> dict:
    event = {"resourceType": "Encounter", "id": f"e{number}", "identifier": [{"value": f"EV{number}"}],
             "status": "finished", "class": {"code": "AMB"},
             "type": [{"coding": [{"system": SERAFIN, "code": "2.2.1"}]}],
             "subject": {"reference": "Patient/u1"}, "participant": [{"individual": {"reference": "Practitioner/k1"}}],
             "period": {"start": f"2025-03-{number:02d}T09:00:00+01:00", "end": f"2025-03-{number:02d}T10:00:00+01:00"},
             "serviceProvider": {"reference": "Organization/o1"}}
    event.update(extra)
    return event


def _lines(*resources) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in resources)


def _land(tmp_path: Path, files: dict[str, bytes]):
    """Land `fhir/<name>` files (plus a referentiel of the ESMS, professional and person) and return the
    connection to the warehouse and the outcomes by file."""
    from pipelines.ingestion.landing import land_folder

    landing = tmp_path / "landing"
    (landing / "fhir").mkdir(parents=True)
    (landing / "fhir" / "0-referentiel.ndjson").write_bytes(_lines(ORG, PRO, PATIENT))
    for name, data in files.items():
        (landing / "fhir" / name).write_bytes(data)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = land_folder(con, landing, KEY)
    return con, {o.file.removeprefix("fhir/"): o for o in summary.outcomes}


def _rejections(con, name: str) -> list[tuple]:
    return con.execute("select source_table, line, column_name, value, reason from raw.row_rejections "
                       "where file = ? order by line", [f"fhir/{name}"]).fetchall()


def _activity(con, name: str) -> list[tuple]:
    return con.execute("select event_id, person_id, professional_id, _line from raw.activity where _file = ? "
                       "order by _line", [f"fhir/{name}"]).fetchall()


def test_a_bundle_cut_half_way_is_rejected_whole_and_the_others_load(tmp_path):
    bundle = json.dumps({"resourceType": "Bundle", "type": "collection",
                         "entry": [{"resource": _event(n)} for n in range(1, 9)]}, indent=1).encode()
    con, outcomes = _land(tmp_path, {"cut.json": bundle[:len(bundle) // 2], "whole.json": bundle})
    assert outcomes["cut.json"].status == "rejected"
    assert "not valid JSON (the Bundle ends before" in outcomes["cut.json"].message
    assert _rejections(con, "cut.json") == [("fhir", None, None, None, "whole file rejected: "
                                             + outcomes["cut.json"].message)]
    assert _activity(con, "cut.json") == []
    assert [r[3] for r in _activity(con, "whole.json")] == [n * 1000 for n in range(1, 9)]


def test_json_that_is_not_fhir(tmp_path):
    con, outcomes = _land(tmp_path, {
        "export.json": json.dumps({"patients": [{"nom": "DUPONT"}]}).encode(),
        "lines.ndjson": _lines(_event(1), {"id": "x", "status": "finished"}, _event(3))})
    assert (outcomes["export.json"].status, outcomes["export.json"].message) == (
        "rejected", "fhir/export.json cannot be read whole (no resourceType: not a FHIR resource): nothing of it is "
                    "loaded; export it again")
    # a line of NDJSON without resourceType: that line rejected, the others mapped
    assert _rejections(con, "lines.ndjson") == [
        ("fhir", 2000, None, "resource", "not a FHIR resource (no resourceType) (entry 2)")]
    assert [r[0] for r in _activity(con, "lines.ndjson")] == ["EV1", "EV3"]


def test_lines_that_are_not_json_objects_keep_every_line_number(tmp_path):
    """A broken line, an array, a blank line and a line that is not UTF-8: each rejected (the blank one skipped) and
    every Encounter after them keeps its own line (its line × 1000)."""
    data = _lines(_event(1), b"{broken", b"[1, 2]", b"", b'{"resourceType": "Patient", "id": "\xe9\xff"}',
                  _event(6))
    con, outcomes = _land(tmp_path, {"messy.ndjson": data})
    assert outcomes["messy.ndjson"].status == "loaded"
    reasons = [(r[1], r[4]) for r in _rejections(con, "messy.ndjson")]
    assert [line for line, _ in reasons] == [2000, 3000, 5000]
    assert reasons[0][1].startswith("line 2 is not JSON (") and reasons[0][1].endswith("(entry 2)")
    assert reasons[1][1] == "line 3 is not a JSON object (entry 3)"
    assert reasons[2][1].startswith("line 5 is not JSON (") and "UTF-8" in reasons[2][1]
    assert [(r[0], r[3]) for r in _activity(con, "messy.ndjson")] == [("EV1", 1000), ("EV6", 6000)]
    assert outcomes["messy.ndjson"].rows_read == 2 + 3


def test_a_gzip_stream_cut_short_is_rejected_whole(tmp_path):
    data = gzip.compress(_lines(*[_event(n) for n in range(1, 20)]))
    con, outcomes = _land(tmp_path, {"events.ndjson.gz": data[:-30], "good.ndjson.gz": data})
    assert outcomes["events.ndjson.gz"].status == "rejected"
    assert "it was cut short" in outcomes["events.ndjson.gz"].message
    assert _activity(con, "events.ndjson.gz") == []
    assert len(_activity(con, "good.ndjson.gz")) == 19


def test_a_patient_with_an_ins_nir_a_name_and_a_phone(tmp_path):
    """Only the local identifier, pseudonymised, and the year of birth reach the warehouse; a Patient carrying only
    its INS is rejected (never used as a person id); the NIR in an event's identifier is replaced by its pseudonym."""
    patient = {"resourceType": "Patient", "id": "u2", "birthDate": "2012-05-01", "gender": "female",
               "name": [{"family": "MARTIN", "given": ["Alice"]}], "telecom": [{"system": "phone",
                                                                                "value": "06 12 34 56 78"}],
               "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": NIR,
                               "type": {"coding": [{"code": "INS-NIR"}]}}, {"value": "LOC-2"}]}
    only_ins = {"resourceType": "Patient", "id": "u3", "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8",
                                                                       "value": "184057512345678"}]}
    event = _event(2, subject={"reference": "Patient/u2"},
                   identifier=[{"value": f"3690000013/{NIR}-EVN-7"}])
    con, _ = _land(tmp_path, {"dui.ndjson": _lines(patient, only_ins, event)})
    assert con.execute("select person_id, birth_year, sex from raw.persons where _file = 'fhir/dui.ndjson'"
                       ).fetchall() == [(_pid("LOC-2"), "2012", "F")]
    assert _rejections(con, "dui.ndjson") == [
        ("persons", 2000, "identifier", "Patient/u3",
         "Patient without a local identifier (INS and NIR are never used as person ids) (entry 2)")]
    assert _activity(con, "dui.ndjson") == [(f"3690000013/{_pid('3690000013/' + NIR)}-EVN-7", _pid("LOC-2"),
                                             _pro("PRO1"), 3000)]
    stored = " ".join(str(v) for schema_table in ("raw.persons", "raw.activity", "raw.row_rejections",
                                                  "raw.fhir_index", "raw.ingested_files")
                      for row in con.execute(f"select * from {schema_table}").fetchall() for v in row)
    for secret in (NIR, "184057512345678", "MARTIN", "Alice", "06 12 34 56 78", "LOC-2"):
        assert secret not in stored, secret


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
        {"resource": _event(7)}, {"resource": _event(8, subject={"identifier": {"value": "LOC-9"}})}]}
    con, _ = _land(tmp_path, {"rules.ndjson": _lines(
        {"resourceType": "Practitioner", "id": "k2", "identifier": [{"value": "PRO2"}]}, role, group,
        _event(4, subject={"reference": "Group/g1"}), _event(5, participant=two), stay, bundle_line)})
    u1 = _pid("LOC-1")
    assert _activity(con, "rules.ndjson") == [
        ("EV4", u1, _pro("PRO1"), 4000), ("EV5", u1, _pro("PRO1"), 5000), ("EV5", u1, _pro("PRO2"), 5001),
        ("EV7", u1, _pro("PRO1"), 7000), ("EV8", _pid("LOC-9"), _pro("PRO1"), 7001)]
    assert [(r[0], r[1], r[2], r[4]) for r in _rejections(con, "rules.ndjson")] == [
        ("activity", 4000, "subject",
         "a member of the Group subject: no Patient with this reference in the files (entry 4)"),
        ("stays", 6000, "subject", "subject: no Patient with this reference in the files (entry 6)")]
    started = con.execute("select started_at, setting, status from raw.activity where event_id = 'EV5' limit 1"
                          ).fetchone()
    assert started == ("2025-03-05T09:00:00", "structure", "realise")  # wall-clock time, AMB, finished


@pytest.mark.parametrize("name", ["pretty.json", "compact.json"])
def test_bundle_entries_are_cut_whatever_the_layout(tmp_path, name):
    """The Bundle splitter on text with braces, brackets, quotes and backslashes inside strings."""
    tricky = _event(2, extension=[{"url": 'x"}]{[\\', "valueString": 'a "quoted" } ] { [ \\\\ value'}])
    bundle = {"resourceType": "Bundle", "meta": {"tag": [{"code": "entry"}]}, "type": "collection",
              "link": [{"relation": "self", "url": "x"}],
              "entry": [{"fullUrl": "urn:uuid:o1", "resource": ORG}, {"resource": tricky}, {"resource": _event(3)}],
              "signature": {"data": "]}"}}
    text = json.dumps(bundle, indent=2 if name.startswith("pretty") else None).encode()
    con, outcomes = _land(tmp_path, {name: text})
    assert outcomes[name].status == "loaded", outcomes[name].message
    assert [(r[0], r[3]) for r in _activity(con, name)] == [("EV2", 2000), ("EV3", 3000)]


def test_an_encounter_type_given_as_one_object(tmp_path):
    """Some exports give Encounter.type as one CodeableConcept, not an array: its SERAFIN-PH coding is the
    prestation as with an array, and an event without one is kept as unmapped with its other codes and text."""
    other = {"coding": [{"system": "http://example.org/actes", "code": "Z9", "display": "Autre"}], "text": "atelier"}
    con, _ = _land(tmp_path, {"types.ndjson": _lines(
        _event(1, type={"coding": [{"system": SERAFIN, "code": "2.3.3.1"}]}), _event(2, type=other))})
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
    con, outcomes = _land(tmp_path, {"qr.ndjson": _lines(q1, q2, q3, q4, patient)})
    u1 = _pid("LOC-1")
    assert con.execute("select person_id, assessed_on, need_code, level, source, _line from raw.needs "
                       "where _file = 'fhir/qr.ndjson' order by _line").fetchall() == [
        (u1, "2025-02-03", "1.1.1", "2", "esms", 1000), (u1, "2025-02-03", "1.1.3", "0", "esms", 1001),
        (u1, "2025-02-03", "1.1.4", "3", "esms", 1002), (u1, "2025-02-03", "1.1.5", None, "esms", 1003),
        (_pid("LOC-9"), "2025-02-04", "1.1.4", "1", "esms", 3000)]
    assert _rejections(con, "qr.ndjson") == [
        ("needs", 1000, "linkId", "QuestionnaireResponse/q1", "linkId 'inconnu' is not an item of the SERAFIN "
         "questionnaire (nomenclatures/tddui_serafin_linkids.csv) (entry 1)"),
        ("needs", 2000, "authored", "QuestionnaireResponse/q2", "SERAFIN evaluation without its date (authored) "
         "(entry 2)")]
    assert con.execute("select person_id, birth_year, sex, _line from raw.persons where _file = 'fhir/qr.ndjson'"
                       ).fetchall() == [(_pid("LOC-5"), None, "U", 5000)]
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
    events = [_event(n) for n in range(1, 9)] + [group, _event(9, subject={"reference": "Group/g1"}), stay]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in events]}
    files = {"events.ndjson": _lines(*events),
             "messy.ndjson": _lines(_event(1), b"{broken", b"[1, 2]", b"", b'{"resourceType": "Patient", "id": "\xe9"}',
                                    _event(6), _event(7)),
             "broken.ndjson": _lines(_event(1), _event(2), b"{broken", _event(6), _event(7)),  # no blank line
             "bundle.json": json.dumps(bundle, indent=1).encode(),
             "events.ndjson.gz": gzip.compress(_lines(*events))}
    whole_con, _ = _land(tmp_path / "whole", files)
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
    parted_con, _ = _land(tmp_path / "parted", files)
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
    con, _ = _land(tmp_path, {"groups.ndjson": _lines(
        u2, first, second, _event(4, subject={"reference": "Group/g1"}), _event(5, subject={"reference": "Group/g2"}))})
    u1, p2 = _pid("LOC-1"), _pid("LOC-2")
    assert [(r[1], r[3]) for r in _activity(con, "groups.ndjson")] == [(p2, 4000), (u1, 4001), (u1, 5000), (p2, 5001)]
    assert [(r[1], r[2], r[4]) for r in _rejections(con, "groups.ndjson")] == [
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
    big = _event(1, subject={"reference": "Group/big"}, participant=many)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _event(2, subject={"reference": "Group/big"}, participant=many)},
        {"resource": _event(3, subject={"reference": "Group/big"}, participant=many)}]}
    # lines 1-40 the patients, 41 the Group, 42-71 the professionals, 72 the big event, 73 the Bundle
    con, _ = _land(tmp_path, {"big.ndjson": _lines(*patients, group, *pros, big, bundle)})
    lines = [r[3] for r in _activity(con, "big.ndjson")]
    assert lines == [*range(72000, 73000), *range(73000, 74000)]
    assert Counter((r[1], r[4]) for r in _rejections(con, "big.ndjson")) == {
        (72000, "more than 1000 rows from one resource (entry 72)"): 200,
        (73000, "more than 1000 rows from one resource (entry 73)"): 1400}


def test_a_nir_anywhere_in_an_events_identifier_is_scrubbed(tmp_path):
    """By hand: the guide's form keeps its site, its usager becomes the pseudonym of `site/usager`, and a NIR-shaped
    number in its rest (13 or 15 digits between non-digits) becomes its own pseudonym; an identifier of another form
    has only its NIR-shaped numbers replaced; 14 digits are not NIR-shaped and stay."""
    rest_nir, other_nir = "184057512345678", "2840575123456"
    con, _ = _land(tmp_path, {"ids.ndjson": _lines(
        _event(1, identifier=[{"value": f"3690000013/U1-EVN-{rest_nir}"}]),
        _event(2, identifier=[{"value": f"DOSSIER-{other_nir}-2"}]),
        _event(3, identifier=[{"value": "3690000013/U1-EVN-12345678901234"}]))})
    usager = _pid("3690000013/U1")
    assert [r[0] for r in _activity(con, "ids.ndjson")] == [
        f"3690000013/{usager}-EVN-{_pid(rest_nir)}",
        f"DOSSIER-{_pid(other_nir)}-2",
        f"3690000013/{usager}-EVN-12345678901234"]


def test_the_index_row_file_keeps_no_resource_id(tmp_path):
    """Pass 1 notes beside each index row the reference `Type/id` it answers (so that pass 2 does not hash the file's
    references to its own resources again); the index row file leaves it out: its columns are the contract's, and
    no id of the file (`u1`, `Patient/u1`, `k1`) is stored in any row file."""
    con, _ = _land(tmp_path, {"events.ndjson": _lines(_event(1))})
    columns = [r[0] for r in con.execute("describe raw.fhir_index").fetchall()]
    assert columns == ["resource_type", "resource_id", "full_url", "value", "_file", "_line"]
    files = sorted((tmp_path / "w.duckdb").parent.glob("**/*.parquet"))
    assert files, "no row file written"
    for path in files:
        text = con.execute(f"select string_agg(columns(*)::varchar, '|') from read_parquet('{path}')").fetchall()
        assert not any(s in str(text) for s in ("Patient/u1", "Practitioner/k1", "Organization/o1")), path
    assert [r[0] for r in _activity(con, "events.ndjson")] == ["EV1"]  # the reference to u1 resolved all the same


def test_a_line_longer_than_the_readers_buffer(tmp_path):
    """A resource of 36 MB (a Patient whose narrative is that long: FHIR allows it) is more than the JSON reader
    holds at once (twice stage.MAX_OBJECT): the file is read line by line, as text, and gives what it would give
    otherwise. By hand: the Patient's person row, the event before it and the event after it, on their lines."""
    from pipelines.ingestion.fhir.stage import MAX_OBJECT

    narrative = "x" * (36 << 20)
    assert len(narrative) > 2 * MAX_OBJECT
    big = {"resourceType": "Patient", "id": "u9", "identifier": [{"value": "LOC-9"}],
           "text": {"status": "generated", "div": f"<div>{narrative}</div>"}}
    con, outcomes = _land(tmp_path, {"big.ndjson": _lines(_event(1), big, _event(3, subject={"reference": "Patient/u9"}))})
    assert outcomes["big.ndjson"].status == "loaded"
    assert _activity(con, "big.ndjson") == [("EV1", _pid("LOC-1"), _pro("PRO1"), 1000),
                                             ("EV3", _pid("LOC-9"), _pro("PRO1"), 3000)]
    assert con.execute("select person_id, _line from raw.persons where _file = 'fhir/big.ndjson'").fetchall() == [
        (_pid("LOC-9"), 2000)]
    assert _rejections(con, "big.ndjson") == []
