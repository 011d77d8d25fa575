"""TDDUI FHIR exports as an input: the landing folder's `fhir/` holds what a DUI software exports under the ANS
guide "Médicosocial - Transfert de données DUI" (FHIR R4 JSON): Bundles (collection, transaction, searchset),
single resources, or NDJSON (one resource per line, as bulk exports write them), gzipped or not, any number of
files. They give the rows of the same landing tables as CSV files (data-contract section 4):

| resource | table |
| --- | --- |
| Encounter tddui-encounter-evenement | activity: one row per (person, professional); a Group subject gives one row per member |
| Encounter tddui-encounter-sejour | stays |
| QuestionnaireResponse, SERAFIN questionnaire | needs: one row per answered item (linkId → code: tddui_serafin_linkids.csv) |
| CarePlan projet personnalisé (+ Task, Consent) | plans: one row per SERAFIN code of its actions; co-built and signed from the consent |
| Patient | persons: the local identifier only (never INS nor NIR), pseudonymised like every person id |
| Organization | an establishments row (FINESS, name; its category when it carries an ESMS one); resolves references |

Two passes per changed file, each streaming (a Bundle entry or an NDJSON line at a time; a year of a large ESMS
is hundreds of thousands of Encounters): the first indexes the resources others refer to (Patient,
Organization, Practitioner, PractitionerRole, Group, Consent) into `raw.fhir_index`, the file's own row file
(the pseudonym of a Patient, never its identifier); the second maps. References resolve within the Bundle
(`urn:uuid:` fullUrls, `Type/id`) first, then across the files of the folder (`Patient/123`) through that
index, unchanged files included.

Kept for the user, never dropped: an event whose type has no SERAFIN-PH coding goes to
`raw.fhir_unmapped_events` (audit.unmapped_events) with its other type codes; an unresolved reference, a
missing mandatory period or an invalid resource goes to `raw.row_rejections` with the file, the resource's
position (entry or line) and id, and the reason. Identifiers that carry the usager's id or a NIR-shaped number
(the guide's own event ids do: `3480787529/147720425367411-EVN-12548`) have it replaced by a pseudonym.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingestion.pseudonym import pseudonymise
from pipelines.ingestion.readers import open_bytes

FOLDER = "fhir"
SOURCE = "fhir"  # raw.ingested_files.source_table of a FHIR file
TARGETS = ("establishments", "persons", "stays", "needs", "plans", "activity")
INDEX_COLUMNS = ("resource_type", "resource_id", "full_url", "value")
UNMAPPED_COLUMNS = ("event_id", "finess_et", "status", "started_at", "other_type_codes")
RAW_TABLES = {"fhir_index": INDEX_COLUMNS, "fhir_unmapped_events": UNMAPPED_COLUMNS}
EXTENSIONS = (".json", ".ndjson", ".jsonl")
LINE_FACTOR = 1000  # a FHIR row's line: entry (or NDJSON line) × 1000 + its rank among the resource's rows

IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
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


def is_fhir_file(path: Path) -> bool:
    name = path.name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    return name.endswith(EXTENSIONS)


def _loads(text: bytes | str):
    import orjson

    return orjson.loads(text)


def layout(path: Path) -> str:
    """`ndjson` (one resource per line) or `json` (one resource or Bundle, pretty-printed or not)."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    with open_bytes(path) as handle:
        first = handle.readline()
        second = handle.readline()
    if not second.strip():
        return "json"
    try:
        _loads(first)
    except ValueError:
        return "json"
    return "ndjson"


@dataclass
class Entry:
    number: int            # entry of the Bundle, or line of the NDJSON file, from 1
    full_url: str | None
    resource: dict | None
    problem: str = ""      # a line that is not JSON


RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')
INDEXED = {"Patient", "Organization", "Practitioner", "PractitionerRole", "Group", "Consent"}


def iter_entries(path: Path, only: set[str] | None = None) -> Iterator[Entry]:
    """Every resource of a file, one at a time: a Bundle's entries streamed from disk (ijson), NDJSON line by
    line (a line holding a Bundle gives its entries). Entry numbers count Bundle entries, or lines. `only`: an
    NDJSON line whose resourceType is another is not even parsed (the index pass skips the Encounters)."""
    import ijson

    if layout(path) == "ndjson":
        with open_bytes(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                if only is not None:
                    kind = RESOURCE_TYPE.search(line[:300])
                    if kind and kind.group(1).decode() not in only and kind.group(1) != b"Bundle":
                        continue
                try:
                    item = _loads(line)
                except ValueError as exc:
                    yield Entry(number, None, None, f"line {number} is not JSON ({exc})")
                    continue
                if isinstance(item, dict) and item.get("resourceType") == "Bundle":
                    for entry in item.get("entry") or []:
                        yield Entry(number, entry.get("fullUrl"), entry.get("resource"))
                else:
                    yield Entry(number, None, item if isinstance(item, dict) else None,
                                "" if isinstance(item, dict) else f"line {number} is not a JSON object")
        return
    kind = None
    try:
        with open_bytes(path) as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "resourceType" and event == "string":
                    kind = value
                    break
    except ijson.JSONError as exc:
        raise FhirProblem(f"not valid JSON ({exc})") from exc
    if kind is None:
        raise FhirProblem("no resourceType: not a FHIR resource")
    try:
        with open_bytes(path) as handle:
            if kind == "Bundle":
                for number, entry in enumerate(ijson.items(handle, "entry.item", use_float=True), start=1):
                    yield Entry(number, entry.get("fullUrl"), entry.get("resource"))
            else:
                yield Entry(1, None, _loads(handle.read()))
    except ijson.JSONError as exc:
        raise FhirProblem(f"not valid JSON ({exc})") from exc


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
    return NIR.sub(lambda m: pseudonymise(key, m.group(0)), value)


def linkid_table() -> dict[str, str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "tddui_serafin_linkids.csv").open(encoding="utf-8") as handle:
        return {row["link_id"]: row["need_code"] for row in csv.DictReader(handle)}


def esms_category_codes() -> set[str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "esms_categories.csv").open(encoding="utf-8") as handle:
        return {row["category_code"] for row in csv.DictReader(handle)}


# ---------------------------------------------------------------- pass 1: the index

def ref_keys(reference: str, key: bytes) -> list[str]:
    """The keys a reference is looked up by: the reference as a URL (`urn:uuid:…`, a fullUrl) and, when it ends
    in `Type/id`, that. Keyed hashes: resource ids and URLs often carry the usager's local id (`Patient/U000084`),
    so the index never stores them in clear."""
    keys = [pseudonymise(key, "url " + reference)]
    match = REFERENCE.search(reference)
    if match:
        keys.append(pseudonymise(key, f"id {match.group(1)}/{match.group(2)}"))
    return keys


def index_entry(entry: Entry, key: bytes) -> tuple | None:
    """(resource_type, id key, fullUrl key, value) of a resource others refer to, None for the others; ids and
    URLs as keyed hashes (ref_keys), a Patient's value its pseudonym, a Group's its members' keys."""
    resource = entry.resource
    if not isinstance(resource, dict):
        return None
    kind = resource.get("resourceType")
    value: str | None
    if kind == "Patient":
        local = local_identifier(resource)
        value = pseudonymise(key, local) if local else None
    elif kind == "Organization":
        value = organisation_finess(resource)
    elif kind == "Practitioner":
        value = _identifier(resource) or resource.get("id")
    elif kind == "PractitionerRole":
        value = "ref:" + ",".join(ref_keys(str((resource.get("practitioner") or {}).get("reference") or ""), key))
    elif kind == "Group":
        value = "|".join(",".join(ref_keys(str((m.get("entity") or {}).get("reference") or ""), key))
                         for m in resource.get("member") or [])
    elif kind == "Consent":
        value = f"{resource.get('status') or ''}|{_date(resource.get('dateTime')) or ''}"
    else:
        return None
    rid = resource.get("id")
    return (kind, pseudonymise(key, f"id {kind}/{rid}") if rid else None,
            pseudonymise(key, "url " + entry.full_url) if entry.full_url else None, value)


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


# ---------------------------------------------------------------- pass 2: the rows

@dataclass
class Mapped:
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TARGETS, 0))
    unmapped: list[dict] = field(default_factory=list)
    rejections: list[tuple] = field(default_factory=list)  # (table, line, column, value, reason)
    resources: dict[str, int] = field(default_factory=dict)
    care_plans: list[tuple[Entry, dict]] = field(default_factory=list)
    plan_codes: dict[str, list[str]] = field(default_factory=dict)


class Mapper:
    """Turns the resources of one file into landing rows (all text, as a CSV would give them)."""

    def __init__(self, key: bytes, index: Index, link_ids: dict[str, str], categories: set[str], emit):
        self.key, self.index, self.emit = key, index, emit  # emit(table, row): where the rows go
        self.link_ids, self.categories = link_ids, categories
        self.out = Mapped()
        self.ranks: dict[tuple[str, int], int] = {}

    def reject(self, table: str, entry: Entry, column: str | None, resource: dict | None, reason: str) -> None:
        rid = (resource or {}).get("id") if isinstance(resource, dict) else None
        kind = (resource or {}).get("resourceType", "resource") if isinstance(resource, dict) else "resource"
        self.out.rejections.append((table, entry.number * LINE_FACTOR, column, f"{kind}/{rid}" if rid else kind,
                                    f"{reason} (entry {entry.number})"))

    def row(self, table: str, entry: Entry, **values) -> None:
        """A row of `table` from the resource of `entry`. Its line, for the audit, is the entry's number × 1000 +
        the row's rank among the rows of that resource (entry 5's three rows: 5000, 5001, 5002): one per row,
        and the entry to look at in the file."""
        rank = self.ranks.get((table, entry.number), 0)
        if rank >= LINE_FACTOR:
            self.reject(table, entry, None, entry.resource, f"more than {LINE_FACTOR} rows from one resource")
            return
        self.ranks[(table, entry.number)] = rank + 1
        values["_line"] = entry.number * LINE_FACTOR + rank
        self.out.rows[table] += 1
        self.emit(table, values)

    def person(self, reference: dict | str | None) -> tuple[bool, str | None]:
        """(resolved, pseudonym) of a Patient reference; a logical reference (Reference.identifier) is the
        local identifier itself, pseudonymised, unless it is an INS or a NIR."""
        if isinstance(reference, dict):
            logical = reference.get("identifier")
            if not reference.get("reference") and isinstance(logical, dict) and logical.get("value"):
                local = local_identifier({"identifier": [logical]})
                return (True, pseudonymise(self.key, local)) if local else (False, None)
            reference = reference.get("reference")
        found = self.index.resolve(reference)
        if found and found[0] == "Patient" and found[1]:
            return True, found[1]
        return False, None

    def finess(self, resource: dict, identifier: str | None) -> str | None:
        provider = resource.get("serviceProvider") or resource.get("author") or {}
        found = self.index.resolve(provider.get("reference"))
        if found and found[0] == "Organization" and found[1]:
            return found[1]
        value = (provider.get("identifier") or {}).get("value")
        if value:
            return str(value)[1:] if len(str(value)) == 10 else str(value)
        match = FINESS_PREFIX.match(identifier or "")
        return match.group(1) if match else None

    def professional(self, reference: str | None) -> str | None:
        found = self.index.resolve(reference)
        if found and found[0] == "PractitionerRole" and found[1] and found[1].startswith("ref:"):
            found = self.index.resolve_keys(found[1][4:].split(","))
        return found[1] if found and found[0] == "Practitioner" else None

    # ------------------------------------------------------------ resources

    def map(self, entry: Entry) -> None:
        resource = entry.resource
        if entry.problem or not isinstance(resource, dict) or not resource.get("resourceType"):
            self.out.resources["invalide"] = self.out.resources.get("invalide", 0) + 1
            self.reject(SOURCE, entry, None, None, entry.problem or "not a FHIR resource (no resourceType)")
            return
        kind = resource["resourceType"]
        self.out.resources[kind] = self.out.resources.get(kind, 0) + 1
        handler = getattr(self, "_" + kind.lower(), None)
        if handler:
            handler(entry, resource)

    def _patient(self, entry: Entry, patient: dict) -> None:
        local = local_identifier(patient)
        if not local:
            self.reject("persons", entry, "identifier", patient,
                        "Patient without a local identifier (INS and NIR are never used as person ids)")
            return
        self.row("persons", entry, person_id=pseudonymise(self.key, local),
                 birth_year=(str(patient["birthDate"])[:4] if patient.get("birthDate") else None),
                 sex=SEX.get(str(patient.get("gender") or ""), None))

    def _organization(self, entry: Entry, organization: dict) -> None:
        """An Organization with a FINESS declares an establishment: always an establishments row (FINESS, name,
        department from the address), with its category when a coding of `type` is an ESMS category (else none:
        core.establishments takes it from establishments.csv or the FINESS feed, or warns)."""
        finess = organisation_finess(organization)
        if not finess:  # no FINESS: it only resolves references (a legal entity, a partner)
            return
        codes = [str(c.get("code")) for c in _codings(organization.get("type")) if c.get("code")]
        category = next((c for c in codes if c in self.categories), None)
        address = (organization.get("address") or [{}])[0] or {}
        postcode = str(address.get("postalCode") or "")
        self.row("establishments", entry, finess_et=finess, name=organization.get("name"), category=category,
                 department=(postcode[:3] if postcode[:2] == "97" else postcode[:2]) or None)

    def _encounter(self, entry: Entry, encounter: dict) -> None:
        if "encounter-sejour" in _profiles(encounter):
            self._stay(entry, encounter)
        else:
            self._event(entry, encounter)

    def _stay(self, entry: Entry, stay: dict) -> None:
        identifier = _identifier(stay) or stay.get("id")
        start = (stay.get("period") or {}).get("start")
        if not start:
            self.reject("stays", entry, "period", stay, "Encounter séjour without period.start (mandatory)")
            return
        resolved, person = self.person(stay.get("subject"))
        if not resolved:
            self.reject("stays", entry, "subject", stay, "subject: no Patient with this reference in the files")
            return
        finess = self.finess(stay, identifier)
        if not finess:
            self.reject("stays", entry, "serviceProvider", stay, "serviceProvider: no Organization with a FINESS")
            return
        code = str((stay.get("class") or {}).get("code") or "")
        self.row("stays", entry, stay_id=scrub(identifier, self.key), person_id=person, finess_et=finess,
                 start_date=_date(start), end_date=_date((stay.get("period") or {}).get("end")),
                 modality=STAY_MODALITY.get(code, code or None))

    def _event(self, entry: Entry, event: dict) -> None:
        identifier = _identifier(event) or event.get("id")
        event_id = scrub(identifier, self.key)
        period = event.get("period") or {}
        if not period.get("start"):
            self.reject("activity", entry, "period", event, "Encounter événement without period.start (mandatory)")
            return
        finess = self.finess(event, identifier)
        if not finess:
            self.reject("activity", entry, "serviceProvider", event, "serviceProvider: no Organization with a FINESS")
            return
        codings = _codings(event.get("type"))
        serafin = _serafin(codings)
        status = STATUS.get(str(event.get("status") or ""), event.get("status"))
        if not serafin:
            others = " | ".join(f"{c.get('system') or ''}#{c.get('code') or ''}"
                                + (f" {c['display']}" if c.get("display") else "") for c in codings)
            texts = " | ".join(str(t["text"]) for t in event.get("type") or [] if isinstance(t, dict) and t.get("text"))
            self.out.unmapped.append({"event_id": event_id, "finess_et": finess, "status": status,
                                      "started_at": _when(period["start"]),
                                      "other_type_codes": " | ".join(x for x in (others, texts) if x) or None,
                                      "_line": entry.number * LINE_FACTOR})
            return
        subject = (event.get("subject") or {}).get("reference")
        persons: list[str | None] = [None]
        if subject or (event.get("subject") or {}).get("identifier"):
            found = self.index.resolve(subject)
            if found and found[0] == "Group":
                members = [m for m in (found[1] or "").split("|") if m]
                persons = []
                for member in members:
                    hit = self.index.resolve_keys(member.split(","))
                    resolved, person = (True, hit[1]) if hit and hit[0] == "Patient" and hit[1] else (False, None)
                    if not resolved:
                        self.reject("activity", entry, "subject", event,
                                    "a member of the Group subject: no Patient with this reference in the files")
                        continue
                    persons.append(person)
                if not persons:
                    return
            else:
                resolved, person = self.person(event.get("subject"))
                if not resolved:
                    self.reject("activity", entry, "subject", event,
                                "subject: no Patient with this reference in the files")
                    return
                persons = [person]
        professionals: list[str | None] = []
        for participant in event.get("participant") or []:
            reference = (participant.get("individual") or {}).get("reference")
            if not reference:
                continue
            professional = self.professional(reference)
            if professional is None:
                self.reject("activity", entry, "participant", event,
                            "participant: no Practitioner with this reference in the files")
                return
            professionals.append(professional)
        professionals = list(dict.fromkeys(professionals)) or [None]
        outside = next((e.get("valueBoolean") for e in event.get("extension") or []
                        if str(e.get("url") or "").endswith("tddui-event-outside-service")), None)
        length = event.get("length") or {}
        duration = length.get("value") if str(length.get("unit") or length.get("code") or "min") in (
            "min", "minutes") else None
        code = str((event.get("class") or {}).get("code") or "")
        common = {"event_id": event_id, "finess_et": finess, "prestation_code": serafin[0],
                  "started_at": _when(period["start"]), "ended_at": _when(period.get("end")),
                  "duration_min": None if duration is None else str(duration),
                  "setting": EVENT_SETTING.get(code), "status": status,
                  "outside_plan": None if outside is None else ("1" if outside else "0")}
        for person in persons:
            for professional in professionals:
                self.row("activity", entry, person_id=person, professional_id=professional, **common)

    def _questionnaireresponse(self, entry: Entry, response: dict) -> None:
        if "serafin" not in str(response.get("questionnaire") or "").lower():
            return
        if not response.get("authored"):
            self.reject("needs", entry, "authored", response, "SERAFIN evaluation without its date (authored)")
            return
        resolved, person = self.person(response.get("subject"))
        if not resolved:
            self.reject("needs", entry, "subject", response, "subject: no Patient with this reference in the files")
            return

        def walk(items):
            for item in items or []:
                answers = item.get("answer") or []
                if answers:
                    link = str(item.get("linkId") or "")
                    code = self.link_ids.get(link)
                    if code == "":  # the evaluation's free-text comment: not a need
                        pass
                    elif code is None:
                        self.reject("needs", entry, "linkId", response,
                                    f"linkId {link!r} is not an item of the SERAFIN questionnaire "
                                    "(nomenclatures/tddui_serafin_linkids.csv)")
                    else:
                        self.row("needs", entry, person_id=person, assessed_on=_date(response["authored"]),
                                 need_code=code, level=_level(answers[0]), source="esms")
                    for answer in answers:
                        walk(answer.get("item"))
                walk(item.get("item"))

        walk(response.get("item"))

    def _careplan(self, entry: Entry, plan: dict) -> None:
        self.out.care_plans.append((entry, plan))

    def _task(self, entry: Entry, task: dict) -> None:
        codes = _serafin(_codings(task.get("code"))) + _serafin(
            [c for i in task.get("input") or [] for c in _codings(i.get("valueCodeableConcept"))])
        for based in task.get("basedOn") or []:
            if based.get("reference") and codes:
                self.out.plan_codes.setdefault(based["reference"], []).extend(codes)

    def finish(self, full_urls: dict[int, str | None]) -> Mapped:
        """The plans, once the file's Tasks are known: one row per SERAFIN code of the plan's activities and
        actions (Task.basedOn the plan), co-built and signed from a Consent in its supportingInfo."""
        for entry, plan in self.out.care_plans:
            identifier = _identifier(plan) or plan.get("id")
            resolved, person = self.person(plan.get("subject"))
            if not resolved:
                self.reject("plans", entry, "subject", plan, "subject: no Patient with this reference in the files")
                continue
            keys = {f"CarePlan/{plan.get('id')}", full_urls.get(entry.number) or ""}
            codes = _serafin([c for a in plan.get("activity") or []
                              for c in _codings(((a or {}).get("detail") or {}).get("code"))])
            for reference, task_codes in self.out.plan_codes.items():
                if reference in keys or any(k and reference.endswith(k) for k in keys):
                    codes += task_codes
            consent_status, signed = None, None
            for info in plan.get("supportingInfo") or []:
                found = self.index.resolve((info or {}).get("reference"))
                if found and found[0] == "Consent" and found[1]:
                    consent_status, _, signed = found[1].partition("|")
            period = plan.get("period") or {}
            common = {"plan_id": scrub(identifier, self.key), "person_id": person,
                      "finess_et": self.finess(plan, identifier),
                      "start_date": _date(period.get("start") or plan.get("created") or signed or None),
                      "end_date": _date(period.get("end")),
                      "co_built": None if consent_status is None else ("1" if consent_status == "active" else "0"),
                      "signed_on": signed or None}
            for code in list(dict.fromkeys(codes)) or [None]:  # no code: validation says prestation_code is missing
                self.row("plans", entry, prestation_code=code, **common)
        return self.out


def _level(answer: dict) -> str | None:
    """The level of an answered need item: an integer or coded 0–3 as such; any other answer marks the need
    as present, at the default level (1)."""
    for key in ("valueInteger", "valueDecimal"):
        if key in answer and answer[key] is not None and 0 <= float(answer[key]) <= 3:
            return str(int(float(answer[key])))
    coding = answer.get("valueCoding") or {}
    if str(coding.get("code") or "") in {"0", "1", "2", "3"}:
        return str(coding["code"])
    if answer.get("valueBoolean") is False:
        return "0"
    return None
