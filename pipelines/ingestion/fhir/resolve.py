"""What the SQL mappings (encounters.py, people.py) need from the key and the index, computed in DuckDB once per
distinct value a file uses, as small temp tables: `<tag>_refs` (each reference resolved as `Index.resolve` resolves
it: this file's resources first, then every FHIR file's, by keyed hash; a PractitionerRole read through its
Practitioner, a Group's members in order), `_logical` (each logical Patient identifier's pseudonym), `_scrub` (each
usager part of an identifier's pseudonym) and `_nir` (each NIR-shaped number's, in Python: rare). The keyed hashes
are those of keyed.py, which must be installed on the connection."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingestion import sql_values
from pipelines.ingestion.fhir.elements import NIR_SQL, scrub_nir
from pipelines.ingestion.fhir.indexing import local_identifier_sql
from pipelines.ingestion.fhir.stage import _lit

TABLES = ("index", "used", "refs", "logical", "idents", "scrub", "nir")


def _first_hit(source: str, by: str, tag: str) -> str:
    """The first of each row's keys (a `keys` list, by `by`) found in the index: this file's level first, then the
    others'; within a level, in the keys' order (elements.Index.resolve_keys)."""
    order = "i.level::BIGINT * 4294967296 + s.x.p"  # the level, then the key's place: a list as order is far slower
    return f"""select {by}, min_by(i.kind, {order}) as kind, min_by(i.value, {order}) as value
        from (select {by}, unnest(list_transform(keys, (k, p) -> {{'k': k, 'p': p}})) as x from {source}) as s
        join {tag}_index as i on i.k = s.x.k group by {by}"""


def index_rows_sql(files: list[Path], left_out: list[str] = ()) -> str:
    """The rows of index row files (or work files) in order: `f` the file's place in `files`, `r` the row's in its
    file, then the row-file columns; rows of the landing files `left_out` (`_file`) are not read."""
    if not files:
        return ("select 0 as f, 0 as r, null::varchar as resource_type, null::varchar as resource_id, "
                "null::varchar as full_url, null::varchar as value where false")
    listed = "[" + ", ".join(_lit(str(f)) for f in files) + "]"
    where = f"where _file not in ({', '.join(_lit(r) for r in left_out)})" if left_out else ""
    return (f"select list_position({listed}, filename) as f, file_row_number as r, resource_type, resource_id, "
            f"full_url, value from read_parquet({listed}, filename = true, file_row_number = true) {where}")


class Resolved:
    """What a file's SQL mappings resolve through: the file's own index rows (`local`, a Parquet file of
    indexing.write_index) and every other FHIR file's (`others`: index_rows_sql; this file's may be among them, never
    found first)."""

    def __init__(self, key: bytes, local: Path, others: str):
        self.key, self.local, self.others = key, local, others

    def _index_table(self, con, tag: str, needed: bool = True) -> None:
        """`<tag>_index`: every key of the index, its resource type, value and level (0: this file, 1: the other
        files'); a key given twice in a level keeps its last row (files in order, rows in file order). Empty when
        not `needed` (a file that refers to nothing: a referentiel of Patients, Practitioners, Organizations)."""
        if not needed:
            con.execute(f"create or replace temp table {tag}_index (k VARCHAR, level INTEGER, kind VARCHAR, "
                        "value VARCHAR)")
            return
        con.execute(f"""create or replace temp table {tag}_index as
        with rows as (select 0 as level, * from ({index_rows_sql([self.local])})
                      union all select 1 as level, * from ({self.others})),
        keys as (select level, f::BIGINT * 4294967296 + r as ord, resource_type, value,
                        unnest([resource_id, full_url]) as k from rows)
        select k, level, arg_max(resource_type, ord) as kind, arg_max(value, ord) as value
        from keys where coalesce(k, '') <> '' group by k, level""")

    def _has_full_urls(self, con) -> bool:
        """Whether a resource of the index (this file's or another FHIR file's) was given with a fullUrl."""
        return con.execute(f"select count(*) > 0 from (select full_url from ({index_rows_sql([self.local])}) "
                           f"union all select full_url from ({self.others})) where coalesce(full_url, '') <> ''"
                           ).fetchone()[0]

    def prepare(self, con, tag: str, references: list[str], logical: list[str], idents: list[str]) -> None:
        """The tables `<tag>_refs`, `_logical`, `_scrub` and `_nir` for the references (`ref` of each SQL query of
        `references`), the logical identifiers (JSON text, `identifier` of `logical`) and the identifiers to
        scrub (`ident` of `idents`) a file uses."""
        refs = " union ".join(f"select ref from ({q})" for q in references)
        con.execute(f"create or replace temp table {tag}_used as select ref from ({refs}) where coalesce(ref, '') <> ''")
        needed = con.execute(f"select count(*) > 0 from {tag}_used").fetchone()[0]
        self._index_table(con, tag, needed)
        # a reference to one of the file's own resources (`Type/id`) takes the id key pass 1 computed for it
        # (indexing.write_index's `_ref`); the others are hashed (elements.ref_keys): a reference's URL key finds
        # only a resource given with a fullUrl, so without any in the index (NDJSON exports have none) its id key
        # alone, one keyed hash per reference rather than two
        id_key = "case when own.key is not null then own.key else fhir_id_key(x.ref) end"  # (coalesce computes both)
        keys = f"[fhir_url_key(x.ref), {id_key}]" if needed and self._has_full_urls(con) else f"[{id_key}]"
        own = (f"(select distinct _ref, resource_id as key from read_parquet({_lit(str(self.local))}) "
               "where _ref is not null)")
        con.execute(f"""create or replace temp table {tag}_refs as
        with r as (select x.ref, list_filter({keys}, k -> k is not null) as keys from {tag}_used as x
                   left join {own} as own on own._ref = x.ref),
        hits as ({_first_hit('r', 'ref', tag)}),
        roles as (select ref, string_split(substr(value, 5), ',') as keys from hits
                  where kind = 'PractitionerRole' and starts_with(value, 'ref:')),
        role_hits as ({_first_hit('roles', 'ref', tag)}),
        -- a Group's members: each member's keys (`,` between them) resolved once, however many Groups name it
        member_rows as (select ref, m.i as pos, m.v as member from (select ref, unnest(list_transform(list_filter(
                            string_split(value, '|'), m -> m <> ''), (v, i) -> {{'v': v, 'i': i}})) as m
                        from hits where kind = 'Group')),
        member_keys as (select member, string_split(member, ',') as keys from (select distinct member from member_rows)),
        member_hits as ({_first_hit('member_keys', 'member', tag)}),
        -- in the members' order (sorted in each list: an ordered aggregate sorts far more slowly)
        listed as (select m.ref, list_transform(list_sort(list({{'p': m.pos, 'v': case when h.kind = 'Patient'
                            and coalesce(h.value, '') <> '' then h.value end}})), x -> x.v) as members
                   from member_rows as m left join member_hits as h on h.member = m.member group by m.ref)
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
        # only the identifiers that may be of the guide's form (they open with `3`) or hold a NIR-shaped number (the
        # others are neither scrubbed nor candidates), not made distinct: each event's is its own, and the steps
        # after make their few results distinct (a million distinct identifiers took a fifth of the statement)
        con.execute(f"create or replace temp table {tag}_idents as select ident, {ident_parts('ident')} as idm "
                    f"from (select ident from ({all_idents}) "
                    f"where prefix(ident, '3') or regexp_matches(ident, '{NIR_SQL}'))")
        con.execute(f"create or replace temp table {tag}_scrub as select part, fhir_pseudonym(part) as pseudonym "
                    f"from (select distinct idm.site || '/' || idm.usager as part from {tag}_idents "
                    "where idm.site <> '')")
        # a scrubbed identifier (site/pseudonym-rest: separators that are not digits) holds a NIR-shaped number only in
        # its rest or its pseudonym (a site has 10 characters): each searched alone, step1 built for the few found
        nir = f"'{NIR_SQL}'"
        found = " union all ".join([
            f"select e.*, sc.pseudonym from (select * from {tag}_idents where idm.site <> '' "
            f"and regexp_matches(idm.rest, {nir})) as e join {tag}_scrub as sc on {scrub_join('e')}",
            f"select e.*, sc.pseudonym from (select * from {tag}_scrub where regexp_matches(pseudonym, {nir})) as sc "
            f"join {tag}_idents as e on {scrub_join('e')}",
            f"select e.*, null as pseudonym from {tag}_idents as e where e.idm.site = '' "
            f"and regexp_matches(e.ident, {nir})"])
        candidates = [r[0] for r in con.execute(
            f"select distinct {step_sql('e', tag).replace('sc.pseudonym', 'e.pseudonym')} from ({found}) as e"
        ).fetchall()]
        con.execute(f"drop table {tag}_idents")
        _table(con, f"{tag}_nir", {"value": "varchar", "scrubbed": "varchar"},
               [candidates, [scrub_nir(v, self.key) for v in candidates]])

    @staticmethod
    def release(con, tag: str) -> None:
        for name in TABLES:
            con.execute(f"drop table if exists {tag}_{name}")


def _table(con, name: str, columns: dict[str, str], values: list[list]) -> None:
    """A temp table of the given columns (varchar or integer) from Python lists of equal length, given to DuckDB as
    literal lists (sql_values: parameters, or an Arrow table registered, would import pandas), as list parameters
    when a value cannot be a literal."""
    kinds = {"varchar": "VARCHAR", "integer": "INTEGER"}
    if sql_values.inline(values):
        select = ", ".join(f"unnest([{', '.join(sql_values.literal(v) for v in column)}]::{kinds[kind]}[]) as {name_}"
                           for (name_, kind), column in zip(columns.items(), values, strict=True))
        con.execute(f"create or replace temp table {name} as select {select}")
        return
    select = ", ".join(f"unnest(?::{kinds[kind]}[]) as {column}" for column, kind in columns.items())
    con.execute(f"create or replace temp table {name} as select {select}", [list(v) for v in values])
