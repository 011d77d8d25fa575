"""Bad TDDUI files, each tried as a new user would, through the ingestion alone (`land_folder`: no dbt, cheap): a
Bundle cut half-way, JSON that is not FHIR, lines that are not JSON (or not objects, or not UTF-8, or blank), a gzip
stream cut short, a Patient carrying an INS-NIR, a name and a phone, a line longer than the JSON reader holds. Each is
held as the FHIR path always held it: the file, or the line, rejected with its reason and position, the rest loaded,
nothing personal stored."""

from __future__ import annotations

import gzip
import json

from tests import fhir_landing as fl
from tests.fhir_landing import NIR


def test_a_bundle_cut_half_way_is_rejected_whole_and_the_others_load(tmp_path):
    bundle = json.dumps({"resourceType": "Bundle", "type": "collection",
                         "entry": [{"resource": fl.event(n)} for n in range(1, 9)]}, indent=1).encode()
    con, outcomes = fl.land(tmp_path, {"cut.json": bundle[:len(bundle) // 2], "whole.json": bundle})
    assert outcomes["cut.json"].status == "rejected"
    assert "not valid JSON (the Bundle ends before" in outcomes["cut.json"].message
    assert fl.rejections(con, "cut.json") == [("fhir", None, None, None, "whole file rejected: "
                                             + outcomes["cut.json"].message)]
    assert fl.activity(con, "cut.json") == []
    assert [r[3] for r in fl.activity(con, "whole.json")] == [n * 1000 for n in range(1, 9)]


def test_json_that_is_not_fhir(tmp_path):
    con, outcomes = fl.land(tmp_path, {
        "export.json": json.dumps({"patients": [{"nom": "DUPONT"}]}).encode(),
        "lines.ndjson": fl.lines(fl.event(1), {"id": "x", "status": "finished"}, fl.event(3))})
    assert (outcomes["export.json"].status, outcomes["export.json"].message) == (
        "rejected", "fhir/export.json cannot be read whole (no resourceType: not a FHIR resource): nothing of it is "
                    "loaded; export it again")
    # a line of NDJSON without resourceType: that line rejected, the others mapped
    assert fl.rejections(con, "lines.ndjson") == [
        ("fhir", 2000, None, "resource", "not a FHIR resource (no resourceType) (entry 2)")]
    assert [r[0] for r in fl.activity(con, "lines.ndjson")] == ["EV1", "EV3"]


def test_lines_that_are_not_json_objects_keep_every_line_number(tmp_path):
    """A broken line, an array, a blank line and a line that is not UTF-8: each rejected (the blank one skipped) and
    every Encounter after them keeps its own line (its line × 1000)."""
    data = fl.lines(fl.event(1), b"{broken", b"[1, 2]", b"", b'{"resourceType": "Patient", "id": "\xe9\xff"}',
                  fl.event(6))
    con, outcomes = fl.land(tmp_path, {"messy.ndjson": data})
    assert outcomes["messy.ndjson"].status == "loaded"
    reasons = [(r[1], r[4]) for r in fl.rejections(con, "messy.ndjson")]
    assert [line for line, _ in reasons] == [2000, 3000, 5000]
    assert reasons[0][1].startswith("line 2 is not JSON (") and reasons[0][1].endswith("(entry 2)")
    assert reasons[1][1] == "line 3 is not a JSON object (entry 3)"
    assert reasons[2][1].startswith("line 5 is not JSON (") and "UTF-8" in reasons[2][1]
    assert [(r[0], r[3]) for r in fl.activity(con, "messy.ndjson")] == [("EV1", 1000), ("EV6", 6000)]
    assert outcomes["messy.ndjson"].rows_read == 2 + 3


def test_a_gzip_stream_cut_short_is_rejected_whole(tmp_path):
    data = gzip.compress(fl.lines(*[fl.event(n) for n in range(1, 20)]))
    con, outcomes = fl.land(tmp_path, {"events.ndjson.gz": data[:-30], "good.ndjson.gz": data})
    assert outcomes["events.ndjson.gz"].status == "rejected"
    assert "it was cut short" in outcomes["events.ndjson.gz"].message
    assert fl.activity(con, "events.ndjson.gz") == []
    assert len(fl.activity(con, "good.ndjson.gz")) == 19


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
    event = fl.event(2, subject={"reference": "Patient/u2"},
                   identifier=[{"value": f"3690000013/{NIR}-EVN-7"}])
    con, _ = fl.land(tmp_path, {"dui.ndjson": fl.lines(patient, only_ins, event)})
    assert con.execute("select person_id, birth_year, sex from raw.persons where _file = 'fhir/dui.ndjson'"
                       ).fetchall() == [(fl.pid("LOC-2"), "2012", "F")]
    assert fl.rejections(con, "dui.ndjson") == [
        ("persons", 2000, "identifier", "Patient/u3",
         "Patient without a local identifier (INS and NIR are never used as person ids) (entry 2)")]
    assert fl.activity(con, "dui.ndjson") == [(f"3690000013/{fl.pid('3690000013/' + NIR)}-EVN-7", fl.pid("LOC-2"),
                                             fl.pro("PRO1"), 3000)]
    stored = " ".join(str(v) for schema_table in ("raw.persons", "raw.activity", "raw.row_rejections",
                                                  "raw.fhir_index", "raw.ingested_files")
                      for row in con.execute(f"select * from {schema_table}").fetchall() for v in row)
    for secret in (NIR, "184057512345678", "MARTIN", "Alice", "06 12 34 56 78", "LOC-2"):
        assert secret not in stored, secret


def test_a_line_longer_than_the_readers_buffer(tmp_path):
    """A resource of 36 MB (a Patient whose narrative is that long: FHIR allows it) is more than the JSON reader
    holds at once (twice stage.MAX_OBJECT): the file is read line by line, as text, and gives what it would give
    otherwise. By hand: the Patient's person row, the event before it and the event after it, on their lines."""
    from pipelines.ingestion.fhir.stage import MAX_OBJECT

    narrative = "x" * (36 << 20)
    assert len(narrative) > 2 * MAX_OBJECT
    big = {"resourceType": "Patient", "id": "u9", "identifier": [{"value": "LOC-9"}],
           "text": {"status": "generated", "div": f"<div>{narrative}</div>"}}
    con, outcomes = fl.land(tmp_path, {"big.ndjson": fl.lines(fl.event(1), big, fl.event(3, subject={"reference": "Patient/u9"}))})
    assert outcomes["big.ndjson"].status == "loaded"
    assert fl.activity(con, "big.ndjson") == [("EV1", fl.pid("LOC-1"), fl.pro("PRO1"), 1000),
                                             ("EV3", fl.pid("LOC-9"), fl.pro("PRO1"), 3000)]
    assert con.execute("select person_id, _line from raw.persons where _file = 'fhir/big.ndjson'").fetchall() == [
        (fl.pid("LOC-9"), 2000)]
    assert fl.rejections(con, "big.ndjson") == []
