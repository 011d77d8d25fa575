"""What the FHIR ingestion tests share (test_fhir_bad.py, test_fhir_rules.py): a referentiel of one ESMS, one
professional and one person, Encounters built on it, and a landing of `fhir/` files through the ingestion alone
(`land_folder`: no dbt, cheap), with the rows and rejections it gives."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

E = "690000013"
SERAFIN = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
SEJOUR = "https://interop.esante.gouv.fr/ig/fhir/tddui/StructureDefinition/tddui-encounter-sejour"
NIR = "284057512345678"
KEY = os.environ.get("SERAFIN_PSEUDONYM_KEY", "test-key-not-secret-but-32-bytes-long").encode()


def pid(local: str) -> str:
    from pipelines.ingestion.pseudonym import pseudonymise

    return pseudonymise(KEY, local)


def pro(local: str) -> str:
    """A professional's pseudonym: the same keyed hash as a person's, with the prefix S."""
    return "S" + pid(local)[1:]


ORG = {"resourceType": "Organization", "id": "o1", "name": "IME Les Tilleuls",
       "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + E}]}
PRO = {"resourceType": "Practitioner", "id": "k1", "identifier": [{"value": "PRO1"}]}
PATIENT = {"resourceType": "Patient", "id": "u1", "identifier": [{"value": "LOC-1"}], "birthDate": "2010-01-01"}


def event(number: int, **extra) -> dict:
    """An événement Encounter on the referentiel's person, professional and ESMS; `extra` replaces its elements."""
    resource = {"resourceType": "Encounter", "id": f"e{number}", "identifier": [{"value": f"EV{number}"}],
             "status": "finished", "class": {"code": "AMB"},
             "type": [{"coding": [{"system": SERAFIN, "code": "2.2.1"}]}],
             "subject": {"reference": "Patient/u1"}, "participant": [{"individual": {"reference": "Practitioner/k1"}}],
             "period": {"start": f"2025-03-{number:02d}T09:00:00+01:00", "end": f"2025-03-{number:02d}T10:00:00+01:00"},
             "serviceProvider": {"reference": "Organization/o1"}}
    resource.update(extra)
    return resource


def lines(*resources) -> bytes:
    """NDJSON: each resource (or bytes, as they are) on a line of its own."""
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in resources)


def land(tmp_path: Path, files: dict[str, bytes]):
    """Land `fhir/<name>` files (plus a referentiel of the ESMS, professional and person) and return the
    connection to the warehouse and the outcomes by file."""
    from pipelines.ingestion.landing import land_folder

    landing = tmp_path / "landing"
    (landing / "fhir").mkdir(parents=True)
    (landing / "fhir" / "0-referentiel.ndjson").write_bytes(lines(ORG, PRO, PATIENT))
    for name, data in files.items():
        (landing / "fhir" / name).write_bytes(data)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = land_folder(con, landing, KEY)
    return con, {o.file.removeprefix("fhir/"): o for o in summary.outcomes}


def rejections(con, name: str) -> list[tuple]:
    """The rejections of `fhir/<name>`, by line."""
    return con.execute("select source_table, line, column_name, value, reason from raw.row_rejections "
                       "where file = ? order by line", [f"fhir/{name}"]).fetchall()


def activity(con, name: str) -> list[tuple]:
    """The activity rows of `fhir/<name>` (event, person, professional, line), by line."""
    return con.execute("select event_id, person_id, professional_id, _line from raw.activity where _file = ? "
                       "order by _line", [f"fhir/{name}"]).fetchall()
