"""A landing folder holding only TDDUI exports (issue 36): the guide's own examples (tests/fixtures/tddui: the ANS
Bundle and single resources as published, the FSH instances compiled to JSON by hand) and one NDJSON file of
SERAFIN-PH coded events of the same establishment, written below as a DUI would export them. No establishments.csv,
no FINESS feed: the guide's Organization (IDNST `1480787529`, a name, no category) declares the establishment.
Built once, through the whole pipeline; counts worked out by hand from the files."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.conftest import FIXTURES, Warehouse, run_pipeline

TDDUI = FIXTURES / "tddui"
GUIDE_FINESS = "480787529"           # the guide's "Les Chênes Verts" (IDNST 1480787529)
SERAFIN = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
P = "https://interop.esante.gouv.fr/ig/fhir/tddui/StructureDefinition/"
DUPONT, HUGO = "Patient/tddui-patient-ins-example", "Patient/tddui-pp-ime-patient-example"


def _pid(local: str) -> str:
    from pipelines.ingestion.pseudonym import pseudonymise

    return pseudonymise(os.environ["SERAFIN_PSEUDONYM_KEY"].encode(), local)


def _event(number: int, subject: str, code: str, start: str, end: str, cls: str) -> dict:
    """An événement of the guide's establishment, its practitioner and its identifier scheme (3+FINESS/usager-EVN-n),
    coded SERAFIN-PH; every reference points into the guide's files."""
    return {"resourceType": "Encounter", "id": f"evn-{number}", "meta": {"profile": [P + "tddui-encounter-evenement"]},
            "identifier": [{"system": "https://identifiant-medicosocial-evenement.esante.gouv.fr",
                            "value": f"3480787529/147720425367411-EVN-{number}"}],
            "status": "finished", "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": cls},
            "type": [{"coding": [{"system": SERAFIN, "code": code}]}], "subject": {"reference": subject},
            "participant": [{"individual": {"reference": "Practitioner/tddui-practitioner-example"}}],
            "period": {"start": start, "end": end},
            "serviceProvider": {"reference": "Organization/tddui-organization-example"}}


EVENTS = [
    # line 1: Dupont and Hugo together; lines 2, 3: Dupont alone, at home then in the structure
    {"resourceType": "Group", "id": "groupe-atelier", "type": "person", "actual": True,
     "member": [{"entity": {"reference": DUPONT}}, {"entity": {"reference": HUGO}}]},
    _event(20001, "Group/groupe-atelier", "2.3.3.1", "2023-04-17T14:00:00+02:00", "2023-04-17T15:30:00+02:00", "AMB"),
    _event(20002, DUPONT, "2.1.2.1", "2023-04-18T10:00:00+02:00", "2023-04-18T10:45:00+02:00", "HH"),
    _event(20003, DUPONT, "2.1.2.1", "2023-05-02T09:00:00+02:00", "2023-05-02T09:30:00+02:00", "AMB"),
]


@pytest.fixture(scope="module")
def guide(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("fhir-guide")
    landing = work / "landing"
    shutil.copytree(TDDUI, landing / "fhir", ignore=shutil.ignore_patterns("*.md"))
    (landing / "fhir" / "evenements-serafin.ndjson").write_text(
        "".join(json.dumps(r) + "\n" for r in EVENTS), encoding="utf-8")
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)  # its tests read the warehouse alone
    assert ok, reason
    return Warehouse(warehouse)


def test_the_guides_organization_is_the_establishment(guide):
    """Two files declare it (the main Bundle and the Organization alone): one establishment, named as
    the guide names it, without category, and a data warning saying which inputs would give one."""
    assert guide.rows("select finess_et, name, category, category_source, _file from core.establishments") == [
        (GUIDE_FINESS, "Les Chênes Verts", None, None, "fhir/Bundle-tddui-example.json")]
    warnings = guide.rows("select file, column_name, warning from audit.data_warnings "
                          "where source_table = 'establishments' order by column_name")
    assert [w[:2] for w in warnings] == [("fhir/Bundle-tddui-example.json", "category"),
                                         ("fhir/Bundle-tddui-example.json", "finess_et")]
    category = warnings[0][2]
    assert "establishments.csv does not list it" in category and "there is no FINESS feed in finess/" in category
    assert "ESMS category coding" in category
    assert "check digit" in warnings[1][2]  # the guide's 480787529 fails the Luhn check


def test_a_tddui_export_alone_builds_activity_stays_needs_and_indicators(guide):
    """By hand: the Group event gives Dupont's and Hugo's rows (1.5 h each), the two others Dupont's (0.75 h, 0.5 h);
    nothing rejected for its establishment. Dupont's séjour from 2023-04-14 and his 4 needs of 2023-04-06. The file active
    counts the persons with a stay: 2023, Dupont alone (Hugo has none); the indicators are computed for the
    guide's establishment."""
    dupont, hugo = _pid("3480787529/194704032"), _pid("3480787529/123456")
    nurse = "S" + _pid("10103441234")[1:]  # the Practitioner's RPPS, pseudonymised as a professional (prefix S)
    activity = guide.rows("select person_id, prestation_code, setting, duration_min, professional_id "
                          "from core.activity order by started_at, person_id")
    group = sorted([(dupont, "2.3.3.1", "structure", 90, nurse), (hugo, "2.3.3.1", "structure", 90, nurse)])
    assert activity == [*group, (dupont, "2.1.2.1", "domicile", 45, nurse), (dupont, "2.1.2.1", "structure", 30, nurse)]
    assert guide.scalar("select count(*) from audit.rejected_rows where reason like '%not in establishments%'") == 0
    assert guide.rows("select person_id, finess_et, cast(start_date as varchar) from core.stays") == [
        (dupont, GUIDE_FINESS, "2023-04-14")]
    assert guide.scalar("select count(*) from core.needs where person_id = ?", [dupont]) == 4
    assert guide.scalar("select value from marts.indicators where scope = ? and year = 2023 "
                        "and indicator_id = 'file_active'", [GUIDE_FINESS]) == 1
    assert guide.scalar("select count(distinct indicator_id) from marts.indicators where scope = ?",
                        [GUIDE_FINESS]) >= 10


def test_the_guides_examples(guide):
    """By hand from the files: the main Bundle gives its Patient (local id 3480787529/194704032, never the INS),
    its séjour (class HH: ambulatoire, from 2023-04-14), and its événement, coded CI-SIS MED-1298 only, goes to
    the unmapped events, as does the single Encounter (same event, another file). The precision evaluation gives
    4 needs; the one without precision repeats 1.3.2.1 on the same date: rejected as a duplicate. The IME
    project gives Hugo's person row and one plan row with no SERAFIN code: rejected for its missing prestation."""
    dupont, hugo = _pid("3480787529/194704032"), _pid("3480787529/123456")
    assert dict(guide.rows("select person_id, birth_year from core.persons")) == {dupont: 1947, hugo: 2005}
    assert guide.rows("select person_id, finess_et, modality, cast(start_date as varchar), end_date "
                      "from core.stays") == [(dupont, GUIDE_FINESS, "ambulatoire", "2023-04-14", None)]
    needs = guide.rows("select need_code, level, cast(assessed_on as varchar) from core.needs where person_id = ? "
                       "order by need_code", [dupont])
    assert needs == [("1.1.8", 1, "2023-04-06"), ("1.2.1.1", 1, "2023-04-06"), ("1.2.1.3", 1, "2023-04-06"),
                     ("1.3.2.1", 1, "2023-04-06")]
    unmapped = guide.rows("select file, event_id, finess_et, other_type_codes from audit.unmapped_events "
                          "order by file")
    assert [u[0] for u in unmapped] == ["fhir/Bundle-tddui-example.json",
                                        "fhir/Encounter-tddui-encounter-evenement-example.json"]
    assert all(u[2] == GUIDE_FINESS and "MED-1298" in u[3] for u in unmapped)
    # the event id carried the usager's id (here a NIR): replaced by the pseudonym of 3+FINESS/id
    assert unmapped[0][1] == f"3480787529/{_pid('3480787529/147720425367411')}-EVN-12548"
    rejected = guide.rows("select file, source_table, column_name, reason from audit.rejected_rows order by file")
    assert len(rejected) == 2
    assert rejected[0][:3] == ("fhir/Bundle-tddui-pp-ime-example.json", "plans", "prestation_code")
    assert rejected[1][:2] == ("fhir/QuestionnaireResponse-tddui-questionnaire-response-serafin-sans-precision-"
                               "example.json", "needs")
    plan = guide.rows("select plan_id, finess_et, co_built, signed_on from raw.plans")
    assert plan == [(f"3480787529/{hugo}-PPER-12", GUIDE_FINESS, "1", "2024-01-15")]
    log = {r[0].split("/")[-1]: r[1:] for r in guide.rows(
        "select file, rows_read, rows_loaded, rows_rejected, rows_unmapped from audit.ingestion_log")}
    # the Organization, the Patient, the séjour loaded; the événement unmapped
    assert log["Bundle-tddui-example.json"] == (4, 3, 0, 1)
    assert log["Organization-tddui-organization-example.json"] == (1, 1, 0, 0)
    assert log["evenements-serafin.ndjson"] == (4, 4, 0, 0)
    text = " ".join(str(v) for schema in ("raw", "core", "audit", "marts") for (table,) in guide.rows(
        "select table_name from information_schema.tables where table_schema = ?", [schema])
        for row in guide.rows(f'select * from {schema}."{table}"') for v in row)
    for secret in ("147720425367411", "DUPONT", "Hugo", "194704032", "123456-"):
        assert secret not in text, secret
