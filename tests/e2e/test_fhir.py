"""TDDUI FHIR exports in `fhir/` (issues 15 and 36), through the real pipeline, on a landing folder built once:
bundles written below: a Group subject, cancelled and planned events, an uncoded event, NDJSON, references across
files, a bad resource, a CNSA-spelled code, a CSV file holding one of the same events, and three Organizations
whose categories come from establishments.csv, the FINESS feed and their own coding. The guide's own examples:
tests/test_fhir_guide.py.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil

import pytest

from tests.conftest import Warehouse, run_pipeline

E = "690000013"                      # IME Les Tilleuls (IDNST 1690000013 in the bundle)
FEED_ESMS = "690000021"              # declared by an Organization without category; the FINESS feed says SESSAD
CODED_ESMS = "690000039"             # declared by an Organization coded MAS (255); nothing else lists it
SERAFIN = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
NIR = "284057512345678"              # a NIR-shaped INS of Patient A: never stored
P = "https://interop.esante.gouv.fr/ig/fhir/tddui/StructureDefinition/"


def _pid(local: str) -> str:
    from pipelines.ingestion.pseudonym import pseudonymise

    return pseudonymise(os.environ["SERAFIN_PSEUDONYM_KEY"].encode(), local)


def _prof(local: str) -> str:
    """A professional's pseudonym: `S` + the HMAC-SHA256 of the id with the key, as a person's but its prefix."""
    import hashlib
    import hmac

    return "S" + hmac.new(os.environ["SERAFIN_PSEUDONYM_KEY"].encode(), local.encode(), hashlib.sha256).hexdigest()[:20]


def _event(number: str, code: str | None, subject: str | None, participant: str | None, start: str | None,
           end: str | None = None, status: str = "finished", cls: str = "AMB", **extra) -> dict:
    event = {"resourceType": "Encounter", "id": f"enc-{number}", "meta": {"profile": [P + "tddui-encounter-evenement"]},
             "identifier": [{"system": "https://identifiant-medicosocial-evenement.esante.gouv.fr",
                             "value": f"EV-{number}"}],
             "status": status, "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": cls},
             "serviceProvider": {"reference": "urn:uuid:org1"}}
    if code:
        event["type"] = [{"coding": [{"system": SERAFIN, "code": code}]}]
    if subject:
        event["subject"] = {"reference": subject}
    if participant:
        event["participant"] = [{"individual": {"reference": participant}}]
    if start:
        event["period"] = {"start": start, **({"end": end} if end else {})}
    event.update(extra)
    return event


def _bundle() -> dict:
    entries = [
        ("urn:uuid:org1", {"resourceType": "Organization", "id": "org1", "name": "IME les Tilleuls (DUI)",
                           "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + E}]}),
        ("urn:uuid:pa", {"resourceType": "Patient", "id": "pa", "gender": "female", "birthDate": "2012-05-01",
                         "name": [{"family": "MARTIN", "given": ["Alice"]}],
                         "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": NIR,
                                         "type": {"coding": [{"code": "INS-NIR"}]}},
                                        {"system": "https://identifiant-medicosocial-localusager.esante.gouv.fr",
                                         "value": "LOC-A"}]}),
        ("urn:uuid:pb", {"resourceType": "Patient", "id": "pb", "gender": "male", "birthDate": "2011-02-03",
                         "identifier": [{"value": "LOC-B"}]}),
        ("urn:uuid:g1", {"resourceType": "Group", "id": "g1", "type": "person", "actual": True,
                         "member": [{"entity": {"reference": "urn:uuid:pa"}}, {"entity": {"reference": "urn:uuid:pb"}}]}),
        ("urn:uuid:p1", {"resourceType": "Practitioner", "id": "p1",
                         "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "10000000001"}]}),
        ("urn:uuid:r1", {"resourceType": "PractitionerRole", "id": "r1",
                         "practitioner": {"reference": "urn:uuid:p1"}}),
        # entry 7: one person, one professional, at home
        ("urn:uuid:e1", _event("1", "2.3.3.1", "urn:uuid:pa", "urn:uuid:p1", "2025-03-03T09:00:00+01:00",
                               "2025-03-03T10:00:00+01:00", cls="HH")),
        # entry 8: a Group subject (A and B), the professional through his role: two rows
        ("urn:uuid:e2", _event("2", "2.3.3.1", "urn:uuid:g1", "urn:uuid:r1", "2025-03-04T09:00:00",
                               "2025-03-04T11:00:00")),
        # entries 9, 10: cancelled and planned
        ("urn:uuid:e3", _event("3", "2.2.1", "urn:uuid:pa", "urn:uuid:p1", "2025-03-05T09:00:00",
                               "2025-03-05T10:00:00", status="cancelled")),
        ("urn:uuid:e4", _event("4", "2.2.1", "urn:uuid:pa", "urn:uuid:p1", "2025-12-20T09:00:00",
                               "2025-12-20T10:00:00", status="planned")),
        # entry 11: no SERAFIN-PH coding, only a CI-SIS code and a text
        ("urn:uuid:e5", {**_event("5", None, "urn:uuid:pa", "urn:uuid:p1", "2025-03-06T09:00:00"),
                         "type": [{"coding": [{"system": "https://smt.esante.gouv.fr/fhir/CodeSystem/terminologie-cisis",
                                               "code": "MED-1298", "display": "Intervention d'un infirmier"}]},
                                  {"text": "Soins"}]}),
        # entry 12: no period
        ("urn:uuid:e6", _event("6", "2.2.1", "urn:uuid:pa", "urn:uuid:p1", None)),
        # entry 13: the guide 2018 / CNSA spelling 2.2.1.1 of 2.2.1
        ("urn:uuid:e7", _event("7", "2.2.1.1", "urn:uuid:pb", "urn:uuid:p1", "2025-03-06T14:00:00",
                               "2025-03-06T14:45:00")),
        # entry 14: a Patient nobody has
        ("urn:uuid:e8", _event("8", "2.2.1", "Patient/unknown", "urn:uuid:p1", "2025-03-06T15:00:00")),
        # entry 15: not a resource
        (None, {"id": "x"}),
        # entry 16: a stay
        ("urn:uuid:s1", {"resourceType": "Encounter", "id": "s1", "meta": {"profile": [P + "tddui-encounter-sejour"]},
                         "identifier": [{"value": "SEJ-1"}], "status": "in-progress",
                         "class": {"code": "IMP"}, "subject": {"reference": "urn:uuid:pa"},
                         "period": {"start": "2025-01-01"}, "serviceProvider": {"reference": "urn:uuid:org1"}}),
        # entry 17: outside the personalised project
        ("urn:uuid:e9", _event("9", "2.3.3.1", "urn:uuid:pa", "urn:uuid:p1", "2025-03-07T09:00:00",
                               "2025-03-07T09:30:00", extension=[{"url": P + "tddui-event-outside-service",
                                                                 "valueBoolean": True}])),
        # entries 18, 19: two more ESMS, declared only here
        ("urn:uuid:org2", {"resourceType": "Organization", "id": "org2", "name": "SESSAD Les Ormes",
                           "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + FEED_ESMS}],
                           "address": [{"postalCode": "69003"}]}),
        ("urn:uuid:org3", {"resourceType": "Organization", "id": "org3", "name": "MAS Les Aulnes",
                           "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + CODED_ESMS}],
                           "type": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement"
                                                           "/FHIR/TRE-R66-CategorieEtablissement", "code": "255"}]}]}),
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{**({"fullUrl": url} if url else {}), "resource": r} for url, r in entries]}


NDJSON = [
    {"resourceType": "Practitioner", "id": "p2", "identifier": [{"value": "10000000002"}]},
    # line 2: Patient C of patients.json, Organization org1 of bundle.json: references across files
    {**_event("n1", "2.1.2.1", "Patient/pat-c", "Practitioner/p2", "2025-04-01T10:00:00", "2025-04-01T10:45:00"),
     "serviceProvider": {"reference": "Organization/org1"}},
    {**_event("n2", "2.1.2.1", "Patient/pa", "Practitioner/p2", "2025-04-02T10:00:00", "2025-04-02T10:45:00"),
     "serviceProvider": {"reference": "Organization/org1"}},
]

FILES = {
    "establishments.csv": f"finess_et,name,category,authorized_places\n{E},IME Les Tilleuls,IME,40\n",
    "persons.csv": "person_id,birth_year,sex\nLOC-D,2014,M\n",
    "staff.csv": "professional_id,finess_et,year,profession,fte,annual_cost\n"
                 f"10000000001,{E},2025,educateur_specialise,1,50000\n10000000002,{E},2025,orthophoniste,0.5,30000\n",
    "ledger.csv": f"finess_et,year,account,label,amount\n{E},2025,6411,Salaires,80000\n",
    # EV-1 is also in the bundle (entry 7): activity.csv comes first by path, so its row is kept
    # the FINESS feed's flat extract: FEED_ESMS is a SESSAD (182)
    "finess/etablissements.csv": "num_finess_et,num_finess_ej,nom_et,categorie,etat,cog_commune\n"
                                 f"{FEED_ESMS},690000005,SESSAD LES ORMES,182,A,69383\n",
    "activity.csv": "event_id,person_id,finess_et,professional_id,prestation_code,start,duration_min,setting,status\n"
                    f"EV-1,LOC-A,{E},10000000001,2.3.3.1,2025-03-03T09:00:00,60,domicile,realise\n"
                    f"EV-10,LOC-D,{E},10000000002,2.1.2.1,2025-05-01T10:00:00,30,structure,realise\n",
}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("fhir")
    landing = work / "landing"
    (landing / "fhir").mkdir(parents=True)
    for name, text in FILES.items():
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_text(text, encoding="utf-8")
    (landing / "fhir" / "bundle.json").write_text(json.dumps(_bundle(), indent=1), encoding="utf-8")
    lines = [json.dumps(r) for r in NDJSON]
    (landing / "fhir" / "events.ndjson").write_text(
        "\n".join([lines[0], lines[1], lines[2], "{broken", ""]) + "\n", encoding="utf-8")
    (landing / "fhir" / "patients.json.gz").write_bytes(gzip.compress(json.dumps(  # a single resource, gzipped
        {"resourceType": "Patient", "id": "pat-c", "gender": "female", "birthDate": "2013-07-08",
         "identifier": [{"value": "LOC-C"}]}).encode("utf-8")))
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)  # its tests read the warehouse alone
    assert ok, reason
    return Warehouse(warehouse)


def test_rows_read_loaded_rejected_and_unmapped_per_file(written):
    log = {r[0]: r[1:] for r in written.rows(
        "select file, source_table, format, rows_read, rows_loaded, rows_rejected, rows_unmapped "
        "from audit.ingestion_log")}
    # bundle: establishments org1 (made one with establishments.csv's), org2, org3; persons A, B; activity e1,
    # e2 ×2, e3, e4, e7, e9 (7); stay s1; rejected e6, e8, entry 15 at ingestion and e1 as a duplicate of
    # activity.csv's EV-1; e5 unmapped
    assert log["fhir/bundle.json"] == ("fhir", "fhir-json", 17, 12, 4, 1)
    # NDJSON: n1, n2; the broken line rejected; the Practitioner only resolves references
    assert log["fhir/events.ndjson"] == ("fhir", "fhir-ndjson", 3, 2, 1, 0)
    assert log["fhir/patients.json.gz"] == ("fhir", "fhir-json", 1, 1, 0, 0)
    assert log["activity.csv"][2:5] == (2, 2, 0)


def test_the_reasons_name_file_entry_and_resource(written):
    rows = written.rows("select source_table, file, line, column_name, value, reason from audit.rejected_rows "
                        "where file like 'fhir/%' order by file, line")
    reasons = {(r[1], r[2]): r for r in rows}
    assert reasons[("fhir/bundle.json", 12000)][3:5] == ("period", "Encounter/enc-6")
    assert "period.start" in reasons[("fhir/bundle.json", 12000)][5]
    assert reasons[("fhir/bundle.json", 14000)][3:5] == ("subject", "Encounter/enc-8")
    assert "no Patient" in reasons[("fhir/bundle.json", 14000)][5]
    assert "no resourceType" in reasons[("fhir/bundle.json", 15000)][5]
    assert "not JSON" in reasons[("fhir/events.ndjson", 4000)][5]
    duplicate = reasons[("fhir/bundle.json", 7000)]
    assert duplicate[0] == "activity" and "activity.csv" in duplicate[5]
    assert len(rows) == 5


def test_events_become_activity_rows(written):
    a, b, c = _pid("LOC-A"), _pid("LOC-B"), _pid("LOC-C")
    rows = {(r[0], r[1]): r[2:] for r in written.rows(
        "select event_id, person_id, professional_id, prestation_code, status, setting, duration_min, "
        "outside_plan, cast(started_at as varchar) from core.activity where _file like 'fhir/%'")}
    assert set(rows) == {("EV-2", a), ("EV-2", b), ("EV-3", a), ("EV-4", a), ("EV-7", b), ("EV-9", a),
                         ("EV-n1", c), ("EV-n2", a)}
    assert rows[("EV-2", a)][:2] == (_prof("10000000001"), "2.3.3.1")    # the role's practitioner, pseudonymised
    assert rows[("EV-2", a)][3:5] == ("structure", 120)                   # AMB; 09:00 → 11:00
    assert rows[("EV-3", a)][2] == "annule" and rows[("EV-4", a)][2] == "planifie"
    assert rows[("EV-7", b)][1] == "2.2.1" and rows[("EV-7", b)][4] == 45  # 2.2.1.1 → 2.2.1
    assert rows[("EV-9", a)][5] is True
    assert rows[("EV-n1", c)][:2] == (_prof("10000000002"), "2.1.2.1")
    assert rows[("EV-n1", c)][6].startswith("2025-04-01 10:00:00")        # wall-clock time, offset dropped
    unmapped = written.rows("select event_id, finess_et, status, other_type_codes from audit.unmapped_events")
    assert unmapped == [("EV-5", E, "realise", "https://smt.esante.gouv.fr/fhir/CodeSystem/terminologie-cisis"
                         "#MED-1298 Intervention d'un infirmier | Soins")]


def test_patients_stays_and_pseudonyms(written):
    persons = dict(written.rows("select person_id, birth_year from core.persons"))
    assert persons == {_pid("LOC-A"): 2012, _pid("LOC-B"): 2011, _pid("LOC-C"): 2013, _pid("LOC-D"): 2014}
    assert written.rows("select stay_id, person_id, finess_et, modality, cast(start_date as varchar) "
                        "from core.stays") == [("SEJ-1", _pid("LOC-A"), E, "internat", "2025-01-01")]


def test_fhir_rows_are_costed_like_csv_rows(written):
    """Hours by prestation at E in 2025, each (event, professional) once: 2.3.3.1 EV-1 1 h (CSV) + EV-2 2 h +
    EV-9 0.5 h; 2.2.1 EV-7 0.75 h (EV-3 cancelled, EV-4 planned); 2.1.2.1 n1 0.75 + n2 0.75 + EV-10 0.5 (CSV)."""
    hours = dict(written.rows("select prestation_code, professional_hours from marts.cost_per_prestation "
                              "where finess_et = ? and year = 2025", [E]))
    assert hours == {"2.3.3.1": pytest.approx(3.5), "2.2.1": pytest.approx(0.75), "2.1.2.1": pytest.approx(2.0)}
    persons = dict(written.rows("select prestation_code, persons from marts.cost_per_prestation "
                                "where finess_et = ? and year = 2025", [E]))
    assert persons == {"2.3.3.1": 2, "2.2.1": 1, "2.1.2.1": 3}
    assert written.scalar("select round(allocated_to_persons, 2) from marts.cost_reconciliation where finess_et = ?",
                          [E]) == 80000.00


def test_no_ins_nir_or_name_is_stored(written):
    tables = written.rows("select table_schema, table_name from information_schema.tables "
                          "where table_schema in ('raw', 'core', 'audit', 'marts')")
    for schema, table in tables:
        text = " ".join(str(v) for row in written.rows(f'select * from {schema}."{table}"') for v in row)
        for secret in (NIR, "MARTIN", "Alice", "LOC-A", "LOC-C"):
            assert secret not in text, (schema, table, secret)


def test_an_unchanged_fhir_file_is_not_read_again(written, tmp_path):
    """A second run on the same landing folder: every FHIR file unchanged, the same rows."""
    landing = written.path.parent / "landing"
    copy = tmp_path / "w"
    copy.mkdir()
    shutil.copy(written.path, copy / "warehouse.duckdb")
    shutil.copytree(written.path.parent / "warehouse.raw", copy / "warehouse.raw")
    (landing / "fhir" / "more.ndjson").write_text(json.dumps(
        {**_event("n3", "2.1.2.1", "Patient/pb", "Practitioner/p2", "2025-06-01T10:00:00", "2025-06-01T10:30:00"),
         "serviceProvider": {"reference": "Organization/org1"}}) + "\n", encoding="utf-8")
    try:
        import duckdb

        from pipelines.ingestion.landing import land_folder

        with duckdb.connect(str(copy / "warehouse.duckdb")) as con:
            summary = land_folder(con, landing, os.environ["SERAFIN_PSEUDONYM_KEY"].encode(),
                                  copy / "warehouse.raw")
            statuses = {o.file: o.status for o in summary.outcomes}
            assert statuses["fhir/bundle.json"] == statuses["fhir/events.ndjson"] == "unchanged"
            assert statuses["fhir/more.ndjson"] == "loaded"
            # the new file's Patient and Organization are in the unchanged files' index
            assert con.execute("select person_id, finess_et from raw.activity where _file = 'fhir/more.ndjson'"
                               ).fetchall() == [(_pid("LOC-B"), E)]
    finally:
        (landing / "fhir" / "more.ndjson").unlink()


def test_each_establishment_and_where_its_category_comes_from(written):
    """By hand: E is in establishments.csv (IME, 40 places) and declared by org1 under another name: the CSV row
    stands, a warning names both names. FEED_ESMS is declared only by org2 (postcode 69003), without category: the
    FINESS feed's 182 gives SESSAD (210 days, its default). CODED_ESMS only by org3, coded 255: MAS (365 days)."""
    rows = {r[0]: r[1:] for r in written.rows(
        "select finess_et, name, category, category_source, department, authorized_places, days_open, _file "
        "from core.establishments")}
    assert rows == {E: ("IME Les Tilleuls", "IME", "establishments", None, 40, 210, "establishments.csv"),
                    FEED_ESMS: ("SESSAD Les Ormes", "SESSAD", "finess", "69", None, 210, "fhir/bundle.json"),
                    CODED_ESMS: ("MAS Les Aulnes", "MAS", "fhir", None, None, 365, "fhir/bundle.json")}
    warnings = written.rows("select file, line, column_name, value, warning from audit.data_warnings "
                            "where source_table = 'establishments'")
    assert [w[:4] for w in warnings] == [("fhir/bundle.json", 1000, "name", "IME les Tilleuls (DUI)")]
    assert "'IME Les Tilleuls' (establishments.csv, line 2)" in warnings[0][4]
    assert "the name in establishments.csv is kept" in warnings[0][4]
    assert written.scalar("select count(*) from audit.rejected_rows where source_table = 'establishments'") == 0
