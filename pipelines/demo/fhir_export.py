"""`serafin generate --fhir` (and `serafin demo`): the last month of activity as a DUI software exports it under
the TDDUI FHIR guide, so the demo shows both input paths. `fhir/referentiel.json` is a Bundle of the ESMS
(Organization, IDNST `1`+FINESS), the professionals (Practitioner) and the persons of that month (Patient: the
local id, names and date of birth, as a DUI holds them; they leave persons.csv); the month's events go half to
a Bundle (`fhir/evenements_<month>.json`) and half to NDJSON (`fhir/evenements_<month>.ndjson`), referring to
the referentiel across files (`Patient/<id>`); a collective event has a Group subject."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.ingestion.fhir.elements import SERAFIN_SYSTEM as SERAFIN

PROFILE = "https://interop.esante.gouv.fr/ig/fhir/tddui/StructureDefinition/"
STATUS = {"realise": "finished", "annule": "cancelled", "planifie": "planned"}
# the setting as the Encounter's class (v3 ActCode); school and work are the city's ordinary settings
CLASS = {"domicile": "HH", "distance": "VR", "cite": "FLD", "ecole": "FLD", "entreprise": "FLD",
         "structure": "AMB", "partenaire": "AMB"}


def _safe(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in value)[:64]


def write_fhir(out: Path, month_file: Path, esms: list[dict], persons: list[list]) -> set[str]:
    """Turn one month's activity CSV (standard format) into TDDUI FHIR files; returns the person ids written as
    Patients (the caller removes them from persons.csv)."""
    import duckdb

    rows = duckdb.sql(f"select * from read_csv('{month_file}', all_varchar=true) order by started_at, event_id"
                      ).fetchall()
    columns = [d[0] for d in duckdb.sql(f"select * from read_csv('{month_file}', all_varchar=true) limit 0").description]
    records = [dict(zip(columns, r)) for r in rows]
    month = month_file.stem.split("_")[-1]
    folder = out / "fhir"
    folder.mkdir(exist_ok=True)
    people = {p[0]: p for p in persons}
    used = {r["person_id"] for r in records if r["person_id"]}
    professionals = sorted({r["professional_id"] for r in records})
    _bundle(folder / "referentiel.json", _referentiel(esms, professionals, [(pid, people.get(pid)) for pid in sorted(used)]))

    resources = _event_resources(records)
    half = len(resources) // 2
    _bundle(folder / f"evenements_{month}.json", resources[:half])
    with (folder / f"evenements_{month}.ndjson").open("w", encoding="utf-8") as handle:
        for resource in resources[half:]:
            handle.write(json.dumps(resource, ensure_ascii=False) + "\n")
    month_file.unlink()
    return used


def _referentiel(esms: list[dict], professionals: list[str], patients: list[tuple[str, list | None]]) -> list[dict]:
    """The ESMS (Organization), the professionals (Practitioner) and the persons (Patient) of the month."""
    referentiel = [{"resourceType": "Organization", "id": f"esms-{e['finess_et']}", "name": e["name"],
                    "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + e["finess_et"]}]}
                   for e in esms]
    referentiel += [{"resourceType": "Practitioner", "id": f"pro-{_safe(p)}",
                     "identifier": [{"system": "https://identifiant-medicosocial-professionnel.esante.gouv.fr",
                                     "value": p}]} for p in professionals]
    return referentiel + [_patient(pid, person) for pid, person in patients]


def _patient(pid: str, person: list | None) -> dict:
    """A Patient: the local id; names, gender and date of birth when persons.csv has the person."""
    patient = {"resourceType": "Patient", "id": f"usager-{_safe(pid)}",
               "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                    "code": "PI"}]},
                               "system": "https://identifiant-medicosocial-localusager.esante.gouv.fr",
                               "value": pid}]}
    if person:
        day, mon, year = (person[3] or "//").split("/")
        patient.update({"name": [{"family": person[1], "given": [person[2]]}],
                        "gender": {"M": "male", "F": "female"}.get(person[4], "unknown")})
        if year:
            patient["birthDate"] = f"{year}-{mon}-{day}"
    return patient


def _event_resources(records: list[dict]) -> list[dict]:
    """One Encounter per (event, professional); a collective event's persons as a Group written before it."""
    events: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        events.setdefault((r["event_id"], r["professional_id"]), []).append(r)
    resources = []
    for (event_id, professional), group in events.items():
        first = group[0]
        encounter = {
            "resourceType": "Encounter", "id": _safe(f"ev-{event_id}-{professional}"),
            "meta": {"profile": [PROFILE + "tddui-encounter-evenement"]},
            "identifier": [{"system": "https://identifiant-medicosocial-evenement.esante.gouv.fr", "value": event_id}],
            "status": STATUS.get(first["status"] or "realise", "finished"),
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": CLASS.get(first["setting"] or "structure", "AMB")},
            "type": [{"coding": [{"system": SERAFIN, "code": first["prestation_code"]}]}],
            "participant": [{"individual": {"reference": f"Practitioner/pro-{_safe(professional)}"}}],
            "period": {"start": first["started_at"], "end": first["ended_at"]},
            "serviceProvider": {"reference": f"Organization/esms-{first['finess_et']}"},
        }
        if first["outside_plan"] == "1":
            encounter["extension"] = [{"url": PROFILE + "tddui-event-outside-service", "valueBoolean": True}]
        attending = [r["person_id"] for r in group if r["person_id"]]
        if len(attending) == 1:
            encounter["subject"] = {"reference": f"Patient/usager-{_safe(attending[0])}"}
        elif attending:
            group_id = _safe(f"grp-{event_id}-{professional}")
            resources.append({"resourceType": "Group", "id": group_id, "type": "person", "actual": True,
                              "member": [{"entity": {"reference": f"Patient/usager-{_safe(p)}"}} for p in attending]})
            encounter["subject"] = {"reference": f"Group/{group_id}"}
        resources.append(encounter)
    return resources


def _bundle(path: Path, resources: list[dict]) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"https://dui.example.fr/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                        for r in resources]}
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
