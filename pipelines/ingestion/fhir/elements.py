"""The FHIR elements the TDDUI mapping reads, and the index of the resources references point to: constants,
small readers (codings, identifiers, dates), the local identifier of a Patient (never an INS or a NIR), the FINESS
of an Organization, the scrub of identifiers that carry a usager's id, and the keyed hashes references are looked up
by (`ref_keys`, `Index`)."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field

from pipelines.ingestion.pseudonym import pseudonymise

FOLDER = "fhir"
SOURCE = "fhir"  # raw.ingested_files.source_table of a FHIR file
TARGETS = ("establishments", "persons", "stays", "needs", "plans", "activity")
INDEX_COLUMNS = ("resource_type", "resource_id", "full_url", "value")
UNMAPPED_COLUMNS = ("event_id", "finess_et", "status", "started_at", "other_type_codes")
RAW_TABLES = {"fhir_index": INDEX_COLUMNS, "fhir_unmapped_events": UNMAPPED_COLUMNS}
EXTENSIONS = (".json", ".ndjson", ".jsonl")
LINE_FACTOR = 1000  # a FHIR row's line: entry (or NDJSON line) × 1000 + its rank among the resource's rows

IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
# the guide's code system of the SERAFIN-PH nomenclatures (an Encounter.type coding; any system naming SERAFIN is read)
SERAFIN_SYSTEM = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
# INS (NIR, NIA, test identities) and the NIR itself: never read as a person's identifier
INS_SYSTEMS = {"urn:oid:1.2.250.1.213.1.4.8", "urn:oid:1.2.250.1.213.1.4.9", "urn:oid:1.2.250.1.213.1.4.10",
               "urn:oid:1.2.250.1.213.1.4.11", "urn:oid:1.2.250.1.213.1.4.2"}
INS_TYPES = {"INS-NIR", "INS-NIA", "INS-C", "INS", "NH", "NIR"}
NIR = re.compile(r"(?<![0-9])[12378][0-9]{12}(?:[0-9]{2})?(?![0-9])")
# `3` + FINESS + `/` opens the guide's identifiers of usagers, stays, events and projects
FINESS_PREFIX = re.compile(r"^3([0-9]{2}[0-9AB][0-9]{6})/")
STATUS = {"finished": "realise", "cancelled": "annule", "planned": "planifie", "triaged": "planifie",
          "arrived": "planifie"}
# Encounter.class (v3 ActCode) of an event: where it took place; of a stay: its modality
EVENT_SETTING = {"HH": "domicile", "VR": "distance", "FLD": "cite", "AMB": "structure", "IMP": "structure",
                 "ACUTE": "structure", "NONAC": "structure", "SS": "structure", "PRENC": "structure"}
STAY_MODALITY = {"IMP": "internat", "ACUTE": "internat", "NONAC": "hebergement", "HH": "ambulatoire",
                 "AMB": "ambulatoire", "FLD": "ambulatoire", "VR": "ambulatoire", "SS": "accueil_temporaire",
                 "PRENC": "accueil_de_jour"}
SEX = {"male": "M", "female": "F", "other": "U", "unknown": "U"}
REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")


class FhirProblem(Exception):
    """A FHIR file that cannot be read at all; the message says why, in one sentence."""




@dataclass
class Entry:
    number: int            # entry of the Bundle, or line of the NDJSON file, from 1
    full_url: str | None
    resource: dict | None
    problem: str = ""      # a line that is not JSON


RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')
INDEXED = {"Patient", "Organization", "Practitioner", "PractitionerRole", "Group", "Consent"}


# ---------------------------------------------------------------- small readers of FHIR elements

def _profiles(resource: dict) -> str:
    return " ".join((resource.get("meta") or {}).get("profile") or []).lower()


def _codings(concepts) -> list[dict]:
    if isinstance(concepts, dict):
        concepts = [concepts]
    return [c for concept in concepts or [] for c in (concept or {}).get("coding") or []]


def _serafin(codings: list[dict]) -> list[str]:
    return [str(c["code"]).strip() for c in codings
            if "serafin" in str(c.get("system") or "").lower() and c.get("code")]


def _identifier(resource: dict) -> str | None:
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            return str(identifier["value"]).strip()
    return None


def _date(value) -> str | None:
    return str(value)[:10] if value else None


WHEN = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?)(?:Z|[+-][0-9]{2}:[0-9]{2})?$")


def _when(value) -> str | None:
    """A FHIR dateTime as the ESMS's wall-clock time (`2025-03-03T09:00:00+01:00` → `2025-03-03T09:00:00`): the
    time the professional wrote, as a CSV export gives it. Anything else is kept as given (validation says why)."""
    if not value:
        return None
    match = WHEN.match(str(value).strip())
    return match.group(1) if match else str(value)


def local_identifier(patient: dict) -> str | None:
    """A Patient's local identifier: the first one that is neither an INS (by system or type) nor NIR-shaped."""
    for identifier in patient.get("identifier") or []:
        if not isinstance(identifier, dict) or not identifier.get("value"):
            continue
        system = str(identifier.get("system") or "")
        types = {str(c.get("code") or "").upper() for c in _codings(identifier.get("type"))}
        value = str(identifier["value"]).strip()
        if system in INS_SYSTEMS or types & INS_TYPES or NIR.fullmatch(value.replace(" ", "")):
            continue
        return value
    return None


def organisation_finess(organization: dict) -> str | None:
    """The FINESS of an Organization: its IDNST (`1` + FINESS, 10 characters) or a 9-character FINESS."""
    values = []
    for identifier in organization.get("identifier") or []:
        value = str((identifier or {}).get("value") or "").strip()
        if not value:
            continue
        if len(value) == 10 and value[0] == "1":
            values.append((identifier.get("system") != IDNST_SYSTEM, value[1:]))
        elif len(value) == 9:
            values.append((True, value))
    return min(values)[1] if values else None


LOCAL_ID_IN = re.compile(r"^(3[0-9]{2}[0-9AB][0-9]{6})/([^/-]+)-([A-Z]+-.+)$")


def scrub(value: str | None, key: bytes) -> str | None:
    """An identifier of the guide's form `3`+FINESS`/`local usager id`-EVN-`n (events, stays, projects carry the
    usager's id, sometimes a NIR) with the usager part replaced by the pseudonym of `3`+FINESS`/`id, the person's
    own pseudonym; then any other NIR-shaped number replaced by its pseudonym."""
    if not value:
        return value
    match = LOCAL_ID_IN.match(value)
    if match:
        value = f"{match.group(1)}/{pseudonymise(key, match.group(1) + '/' + match.group(2))}-{match.group(3)}"
    return scrub_nir(value, key)


def scrub_nir(value: str, key: bytes) -> str:
    """Every NIR-shaped number of a text replaced by its pseudonym (the second step of `scrub`)."""
    return NIR.sub(lambda m: pseudonymise(key, m.group(0)), value)


# the same patterns in DuckDB's regular expressions (RE2: no look-around), for the identifiers mapped in SQL
LOCAL_ID_IN_SQL = r"^(3[0-9]{2}[0-9AB][0-9]{6})/([^/-]+)-([A-Z]+-.+)$"
NIR_SQL = r"(^|[^0-9])[12378][0-9]{12}([0-9]{2})?([^0-9]|$)"


def linkid_table() -> dict[str, str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "tddui_serafin_linkids.csv").open(encoding="utf-8") as handle:
        return {row["link_id"]: row["need_code"] for row in csv.DictReader(handle)}


def esms_category_codes() -> set[str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "esms_categories.csv").open(encoding="utf-8") as handle:
        return {row["category_code"] for row in csv.DictReader(handle)}


# ---------------------------------------------------------------- the index (its rows: indexing.py, in SQL)

@functools.lru_cache(maxsize=250_000)  # a file refers to the same persons, professionals and ESMS again and again
def ref_keys(reference: str, key: bytes) -> tuple[str, ...]:
    """The keys a reference is looked up by: the reference as a URL (`urn:uuid:…`, a fullUrl) and, when it ends
    in `Type/id`, that. Keyed hashes: resource ids and URLs often carry the usager's local id (`Patient/U000084`),
    so the index never stores them in clear."""
    keys = [pseudonymise(key, "url " + reference)]
    match = REFERENCE.search(reference)
    if match:
        keys.append(pseudonymise(key, f"id {match.group(1)}/{match.group(2)}"))
    return tuple(keys)


@dataclass
class Index:
    """The resources references point to, by keyed hash (ref_keys): this file's first, then every FHIR file."""
    key: bytes
    local: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    others: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    cache: dict[str, tuple[str, str | None] | None] = field(default_factory=dict)

    def add(self, rows, local: bool) -> None:
        target = self.local if local else self.others
        for kind, rid, url, value in rows:
            for k in (rid, url):
                if k:
                    target[k] = (kind, value)

    def resolve(self, reference: str | None) -> tuple[str, str | None] | None:
        """(resource type, indexed value) of a reference, or None when nothing matches (remembered: a file refers
        to the same ESMS and professionals again and again)."""
        if not reference:
            return None
        if reference not in self.cache:
            self.cache[reference] = self.resolve_keys(ref_keys(reference, self.key))
        return self.cache[reference]

    def resolve_keys(self, keys: list[str]) -> tuple[str, str | None] | None:
        for level in (self.local, self.others):
            for k in keys:
                if k in level:
                    return level[k]
        return None

