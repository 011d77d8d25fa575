"""What the SQL mapping of the Encounters (encounters.py) needs from the key and the index, computed once per distinct
value a file uses and handed to DuckDB as small tables (`<tag>_refs`, `_logical`, `_scrub`, `_nir`): each reference
resolved as the Python mapping resolves it (this file's resources first, then every FHIR file's, by keyed hash), each
logical Patient identifier's pseudonym, each usager part of an identifier's pseudonym, each NIR-shaped number's."""

from __future__ import annotations

from pipelines.ingestion.fhir.elements import LOCAL_ID_IN_SQL, NIR_SQL, Index, local_identifier, scrub_nir
from pipelines.ingestion.pseudonym import pseudonymise

TABLES = ("refs", "logical", "scrub", "nir")


class Resolved:
    def __init__(self, key: bytes, index: Index):
        self.key, self.index = key, index

    def reference(self, ref: str) -> dict:
        """A reference as the Python mapping reads it: the Patient's pseudonym, the Organization's FINESS, the
        Practitioner's id (directly or through a PractitionerRole), or a Group's members (None: not found)."""
        found = self.index.resolve(ref)
        kind, value = found if found else (None, None)
        row = {"ref": ref, "patient": value if kind == "Patient" and value else None,
               "organization": value if kind == "Organization" and value else None,
               "professional": None, "is_group": kind == "Group", "members": None}
        if kind == "PractitionerRole" and value and value.startswith("ref:"):
            practitioner = self.index.resolve_keys(value[4:].split(","))
            kind, value = practitioner if practitioner else (None, None)
        if kind == "Practitioner":
            row["professional"] = value
        if row["is_group"]:
            members = []
            for member in (m for m in (value or "").split("|") if m):
                hit = self.index.resolve_keys(member.split(","))
                members.append(hit[1] if hit and hit[0] == "Patient" and hit[1] else None)
            row["members"] = members
        return row

    def logical(self, text: str) -> str | None:
        """The pseudonym a logical reference (Reference.identifier, as JSON) gives, None for an INS, a NIR or none."""
        import orjson

        try:
            identifier = orjson.loads(text)
        except ValueError:
            return None
        if not isinstance(identifier, dict) or not identifier.get("value"):
            return None
        local = local_identifier({"identifier": [identifier]})
        return pseudonymise(self.key, local) if local else None

    def prepare(self, con, enc: str, tag: str) -> None:
        """The tables `<tag>_refs`, `_logical`, `_scrub` and `_nir` for the Encounters of the temp table `enc`."""
        refs = [r[0] for r in con.execute(
            f"select distinct ref from (select subject_ref as ref from {enc} union all select provider_ref from {enc} "
            f"union all select unnest(participants) from {enc}) where ref is not null").fetchall()]
        rows = [self.reference(ref) for ref in refs]
        columns = {"ref": "varchar", "patient": "varchar", "organization": "varchar", "professional": "varchar",
                   "is_group": "boolean", "members": "varchar[]"}
        _table(con, f"{tag}_refs", columns, [[row[c] for row in rows] for c in columns])
        logical = [r[0] for r in con.execute(f"select distinct subject_ident::varchar from {enc} "
                                             "where subject_ref is null and subject_ident is not null").fetchall()]
        _table(con, f"{tag}_logical", {"identifier": "varchar", "person": "varchar"},
               [logical, [self.logical(t) for t in logical]])
        parts = [r[0] for r in con.execute(
            f"select distinct regexp_extract(ident, '{LOCAL_ID_IN_SQL}', 1) || '/' || "
            f"regexp_extract(ident, '{LOCAL_ID_IN_SQL}', 2) from {enc} "
            f"where regexp_matches(ident, '{LOCAL_ID_IN_SQL}')").fetchall()]
        _table(con, f"{tag}_scrub", {"part": "varchar", "pseudonym": "varchar"},
               [parts, [pseudonymise(self.key, p) for p in parts]])
        from pipelines.ingestion.fhir.encounters import step_sql

        candidates = [r[0] for r in con.execute(
            f"select distinct step1 from (select {step_sql('e', tag)} as step1 from {enc} as e "
            f"left join {tag}_scrub as sc on regexp_matches(e.ident, '{LOCAL_ID_IN_SQL}') and sc.part = "
            f"regexp_extract(e.ident, '{LOCAL_ID_IN_SQL}', 1) || '/' || regexp_extract(e.ident, "
            f"'{LOCAL_ID_IN_SQL}', 2)) where regexp_matches(step1, '{NIR_SQL}')").fetchall()]
        _table(con, f"{tag}_nir", {"value": "varchar", "scrubbed": "varchar"},
               [candidates, [scrub_nir(v, self.key) for v in candidates]])

    @staticmethod
    def release(con, tag: str) -> None:
        for name in TABLES:
            con.execute(f"drop table if exists {tag}_{name}")


def _table(con, name: str, columns: dict[str, str], values: list[list]) -> None:
    """A temp table of the given columns from Python lists of equal length (as query parameters: no pandas)."""
    unnests = ", ".join(f"unnest(${i + 1}::{kind}[]) as {column}" for i, (column, kind) in enumerate(columns.items()))
    con.execute(f"create or replace temp table {name} as select {unnests}", values)
