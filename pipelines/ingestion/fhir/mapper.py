"""The Python mapping of the few resources of a FHIR file not mapped in DuckDB (Encounters: encounters.py; Patients
and QuestionnaireResponses: people.py): Organizations → establishments, CarePlans (with their Tasks and Consent) →
plans; a resource without resourceType, or a line that is not JSON, is rejected. Their volume is per plan or per
establishment, not per event."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingestion.fhir.elements import (
    FINESS_PREFIX,
    LINE_FACTOR,
    SOURCE,
    TARGETS,
    Entry,
    Index,
    _codings,
    _date,
    _identifier,
    _serafin,
    local_identifier,
    organisation_finess,
    scrub,
)
from pipelines.ingestion.pseudonym import pseudonymise

# the resource types the Python mapping reads in pass 2 (a method `_<type>` each); the others are only counted
HANDLED = {"Organization", "CarePlan", "Task"}


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
