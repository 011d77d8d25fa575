"""What the SQL mappings (encounters.py, people.py) need from the key and the index, computed in DuckDB once per
distinct value a file uses, as small temp tables: `<tag>_refs` (each reference resolved as `Index.resolve` resolves
it: this file's resources first, then every FHIR file's, by keyed hash; a PractitionerRole read through its
Practitioner, a Group's members in order), `_logical` (each logical Patient identifier's pseudonym), `_scrub` (each
usager part of an identifier's pseudonym) and `_nir` (each NIR-shaped number's, in Python: rare). The keyed hashes
are those of keyed.py, which must be installed on the connection."""

from __future__ import annotations

from pipelines.ingestion.fhir.elements import NIR_SQL, Index, scrub_nir
from pipelines.ingestion.fhir.indexing import local_identifier_sql, ref_keys_sql

TABLES = ("index", "refs", "logical", "idents", "scrub", "nir")


def _first_hit(source: str, by: str, tag: str) -> str:
    """The first of each row's keys (a `keys` list, by `by`) found in the index: this file's level first, then the
    others'; within a level, in the keys' order (elements.Index.resolve_keys)."""
    return f"""select {by}, min_by(i.kind, [i.level, x.p]) as kind, min_by(i.value, [i.level, x.p]) as value
        from (select {by}, unnest(list_transform(keys, (k, p) -> {{'k': k, 'p': p}})) as x from {source}) as s
        join {tag}_index as i on i.k = s.x.k group by {by}"""


class Resolved:
    def __init__(self, key: bytes, index: Index):
        self.key, self.index = key, index

    def _index_table(self, con, tag: str) -> None:
        """`<tag>_index`: every key of the index, its resource type, value and level (0: this file, 1: every
        file's)."""
        keys, kinds, values, levels = [], [], [], []
        for level, entries in enumerate((self.index.local, self.index.others)):
            if entries:
                keys += entries.keys()
                found_kinds, found_values = zip(*entries.values(), strict=True)
                kinds += found_kinds
                values += found_values
                levels += [level] * len(entries)
        _table(con, f"{tag}_index", {"k": "varchar", "kind": "varchar", "value": "varchar", "level": "integer"},
               [keys, kinds, values, levels])

    def prepare(self, con, tag: str, references: list[str], logical: list[str], idents: list[str]) -> None:
        """The tables `<tag>_refs`, `_logical`, `_scrub` and `_nir` for the references (`ref` of each SQL query of
        `references`), the logical identifiers (JSON text, `identifier` of `logical`) and the identifiers to
        scrub (`ident` of `idents`) a file uses."""
        self._index_table(con, tag)
        refs = " union ".join(f"select ref from ({q})" for q in references)
        members = ("(select ref, m.i as pos, string_split(m.v, ',') as keys from (select ref, unnest(list_transform("
                   "list_filter(string_split(value, '|'), m -> m <> ''), (v, i) -> {'v': v, 'i': i})) as m "
                   "from hits where kind = 'Group'))")
        con.execute(f"""create or replace temp table {tag}_refs as
        with r as (select ref, string_split({ref_keys_sql('ref')}, ',') as keys
                   from ({refs}) where coalesce(ref, '') <> ''),
        hits as ({_first_hit('r', 'ref', tag)}),
        roles as (select ref, string_split(substr(value, 5), ',') as keys from hits
                  where kind = 'PractitionerRole' and starts_with(value, 'ref:')),
        role_hits as ({_first_hit('roles', 'ref', tag)}),
        member_hits as (select m.ref, m.pos, h.kind, h.value from {members} as m
                        left join ({_first_hit(members, 'ref, pos', tag)}) as h on h.ref = m.ref and h.pos = m.pos),
        listed as (select ref, list(case when kind = 'Patient' and coalesce(value, '') <> '' then value end
                                    order by pos) as members from member_hits group by ref)
        select r.ref,
            case when h.kind = 'Patient' and coalesce(h.value, '') <> '' then h.value end as patient,
            case when h.kind = 'Organization' and coalesce(h.value, '') <> '' then h.value end as organization,
            case when h.kind = 'Practitioner' then h.value
                 when h.kind = 'PractitionerRole' and rh.kind = 'Practitioner' then rh.value end as professional,
            coalesce(h.kind = 'Group', false) as is_group,
            case when h.kind = 'Group' then coalesce(l.members, []) end as members
        from r left join hits as h on h.ref = r.ref left join role_hits as rh on rh.ref = r.ref
        left join listed as l on l.ref = r.ref""")
        idents_all = " union ".join(f"select identifier from ({q})" for q in logical)
        con.execute(f"""create or replace temp table {tag}_logical as
        select identifier, case when json_type(identifier) = 'OBJECT'
                                     and coalesce(json_extract_string(identifier, '$.value'), '') <> ''
                                then fhir_pseudonym({local_identifier_sql("json_array(identifier::JSON)")}) end
                           as person
        from ({idents_all}) where identifier is not null""")
        from pipelines.ingestion.fhir.encounters import ident_parts, scrub_join, step_sql

        all_idents = " union ".join(f"select ident from ({q})" for q in idents)
        con.execute(f"create or replace temp table {tag}_idents as select ident, {ident_parts('ident')} as idm "
                    f"from (select distinct ident from ({all_idents}))")
        con.execute(f"create or replace temp table {tag}_scrub as select part, fhir_pseudonym(part) as pseudonym "
                    f"from (select distinct idm.site || '/' || idm.usager as part from {tag}_idents "
                    "where idm.site <> '')")
        candidates = [r[0] for r in con.execute(
            f"select distinct step1 from (select {step_sql('e', tag)} as step1 from {tag}_idents as e "
            f"left join {tag}_scrub as sc on {scrub_join('e')}) where regexp_matches(step1, '{NIR_SQL}')").fetchall()]
        con.execute(f"drop table {tag}_idents")
        _table(con, f"{tag}_nir", {"value": "varchar", "scrubbed": "varchar"},
               [candidates, [scrub_nir(v, self.key) for v in candidates]])

    @staticmethod
    def release(con, tag: str) -> None:
        for name in TABLES:
            con.execute(f"drop table if exists {tag}_{name}")


def _table(con, name: str, columns: dict[str, str], values: list[list]) -> None:
    """A temp table of the given columns (varchar or integer) from Python lists of equal length, through Arrow."""
    import pyarrow as pa

    kinds = {"varchar": pa.string(), "integer": pa.int32()}
    data = pa.table({c: pa.array(v, kinds[k]) for (c, k), v in zip(columns.items(), values, strict=True)})
    view = f"{name}_arrow"
    con.register(view, data)
    try:
        con.execute(f"create or replace temp table {name} as select * from {view}")
    finally:
        con.unregister(view)
