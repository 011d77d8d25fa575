"""Pass 1 in DuckDB: the index rows of a staged file's resources others refer to (elements.INDEXED), a set at a
time over its objects (stage.objects_sql), with the keyed hashes of keyed.py: (resource_type, id key, fullUrl key,
value), in file order. The value is a Patient's pseudonym (its local identifier: `local_identifier_sql`), a
Practitioner's (as a CSV file's intervenant), a PractitionerRole's `ref:` + its Practitioner's reference keys, a
Group's members' reference keys (`|` between members, `,` between a member's keys), a Consent's `status|date`, an
Organization's FINESS (`organisation_finess_sql`, as `elements.organisation_finess`). Written by DuckDB straight to
the file's index work file, in the columns of its `fhir_index` row file (`write_index`): never through Python."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingestion.fhir.elements import IDNST_SYSTEM, INDEXED, INS_SYSTEMS, INS_TYPES
from pipelines.ingestion.fhir.keyed import WHITESPACE
from pipelines.ingestion.fhir.stage import _lit, _read_objects
from pipelines.ingestion.schema import ROW_FILE

NIR_FULL = "[12378][0-9]{12}([0-9]{2})?"  # elements.NIR as a whole value (its look-arounds then always hold)
ID_REFERENCE = r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}"  # a reference elements.REFERENCE reads whole as Type/id


def strip_sql(value: str) -> str:
    """A text stripped as Python's str.strip strips it."""
    return f"trim({value}, {_lit(WHITESPACE)})"


def local_identifier_sql(identifiers: str) -> str:
    """elements.local_identifier in DuckDB, over a JSON array of identifiers: the first one with a value that is
    neither an INS (by system or type) nor NIR-shaped, stripped (NULL when there is none)."""
    systems = "[" + ", ".join(_lit(s) for s in sorted(INS_SYSTEMS)) + "]"
    types = "[" + ", ".join(_lit(t) for t in sorted(INS_TYPES)) + "]"
    each = ("{'v': json_extract_string(i, '$.value'), 's': coalesce(json_extract_string(i, '$.system'), ''), "
            "'t': list_concat(coalesce(json_extract_string(i, '$.type.coding[*].code'), []), "
            "coalesce(json_extract_string(i, '$.type[*].coding[*].code'), []))}")
    keep = (f"coalesce(x.v, '') <> '' and not list_contains({systems}, x.s) "
            f"and not list_has_any({types}, list_transform(x.t, c -> upper(coalesce(c, '')))) "
            f"and not regexp_full_match(replace({strip_sql('x.v')}, ' ', ''), {_lit(NIR_FULL)})")
    first = f"list_filter(list_transform(coalesce(json_extract({identifiers}, '$[*]'), []), i -> {each}), x -> {keep})[1].v"
    return f"nullif({strip_sql(first)}, '')"


def organisation_finess_sql(raw: str) -> str:
    """elements.organisation_finess in DuckDB, over an Organization's JSON text: of its identifiers' values
    (stripped), an IDNST (`1` + FINESS, 10 characters; its own system first) or a 9-character FINESS, the least."""
    value = strip_sql("coalesce(json_extract_string(i, '$.value'), '')")
    idnst = "length(x.v) = 10 and left(x.v, 1) = '1'"
    each = f"{{'v': {value}, 's': json_extract_string(i, '$.system')}}"
    candidates = (f"list_transform(list_filter(list_transform(coalesce(json_extract({raw}, '$.identifier[*]'), []), "
                  f"i -> {each}), x -> {idnst} or length(x.v) = 9), x -> {{'other': case when {idnst} then "
                  f"x.s is distinct from {_lit(IDNST_SYSTEM)} else true end, 'finess': case when {idnst} then "
                  f"substr(x.v, 2) else x.v end}})")
    return f"list_sort({candidates})[1].finess"


def _first_identifier(raw: str) -> str:
    """elements._identifier: the first identifier's value, stripped."""
    values = f"json_extract_string({raw}, '$.identifier[*].value')"
    return strip_sql(f"list_filter({values}, v -> coalesce(v, '') <> '')[1]")


def ref_keys_sql(reference: str) -> str:
    """elements.ref_keys joined by `,`: the reference's URL key, then its `Type/id` key when it has one."""
    return f"concat_ws(',', fhir_url_key({reference}), fhir_id_key({reference}))"


def index_sql(staged) -> str:
    listed = ", ".join(_lit(k) for k in sorted(INDEXED))
    practitioner = _first_identifier("raw")
    return f"""
    with o as (select n, sub, full_url, kind, raw, json_extract_string(raw, '$.id') as rid
               from {_read_objects(staged)} where problem is null and kind in ({listed})),
    members as (
        select n, sub, m.i as pos, m.v as ref
        from (select n, sub, unnest(list_transform(coalesce(json_extract(raw, '$.member[*]'), []), (v, i) ->
                  {{'v': coalesce(json_extract_string(v, '$.entity.reference'), ''), 'i': i}})) as m
              from o where kind = 'Group')),
    member_keys as (select ref, {ref_keys_sql('ref')} as k from (select distinct ref from members)),
    groups as (select n, sub, array_to_string(list_transform(list_sort(list({{'p': pos, 'k': k}})), x -> x.k), '|')
                   as value from members join member_keys using (ref) group by n, sub)
    select kind, case when coalesce(rid, '') <> '' then fhir_pseudonym('id ' || kind || '/' || rid) end as rid,
        case when coalesce(full_url, '') <> '' then fhir_pseudonym('url ' || full_url) end as url, value,
        -- the reference `Type/id` whose id key this row's is (elements.REFERENCE reads that type and id whole)
        case when regexp_full_match(kind || '/' || rid, {_lit(ID_REFERENCE)}) then kind || '/' || rid end as ref
    from ({" union all ".join(f"select n, sub, kind, rid, full_url, {value} as value from o {join}where kind = {_lit(kind)}"
                             for kind, (value, join) in _values(practitioner).items())})
    order by n, sub"""


def _values(practitioner: str) -> dict[str, tuple[str, str]]:
    """Each indexed kind's value (elements.INDEXED) over its objects `o` (a Group's members: `g`), and the join it
    needs: one select per kind rather than a CASE, whose branches DuckDB evaluates more slowly (a third of the
    index's time on the guide's shapes)."""
    return {
        "Patient": ("fhir_pseudonym(" + local_identifier_sql("json_extract(raw, '$.identifier')") + ")", ""),
        "Practitioner": (f"'S' || substr(fhir_pseudonym(coalesce(nullif({practitioner}, ''), rid, 'None')), 2)", ""),
        "PractitionerRole": ("'ref:' || " + ref_keys_sql("coalesce(json_extract_string(raw, '$.practitioner.reference'), '')"), ""),
        "Group": ("coalesce(g.value, '')", "left join groups as g using (n, sub) "),
        "Consent": ("coalesce(json_extract_string(raw, '$.status'), '') || '|' "
                    "|| coalesce(left(json_extract_string(raw, '$.dateTime'), 10), '')", ""),
        "Organization": (organisation_finess_sql("raw"), ""),
    }


def write_index(con, staged, rel: str, target: Path) -> None:
    """The file's index rows (keyed.installed must be in force), in file order, to the work file `target`: the
    columns of its `fhir_index` row file (INDEX_COLUMNS, `_file`, `_line` 0), and `_ref`, the reference `Type/id`
    whose id key is the row's (pass 2 resolves the file's references to its own resources without hashing them
    again: resolve.Resolved.prepare); `write_row_file` leaves it out."""
    con.execute(f"copy (select kind as resource_type, rid as resource_id, url as full_url, value, {_lit(rel)} as _file, "
                f"0::BIGINT as _line, ref as _ref from ({index_sql(staged)})) to {_lit(str(target))} "
                f"({ROW_FILE})")


def write_row_file(con, work: Path, target: Path) -> None:
    """The index work file (`write_index`) as the file's `fhir_index` row file: its rows in order, without `_ref`
    (a resource's id is never stored)."""
    con.execute(f"copy (select * exclude (_ref) from read_parquet({_lit(str(work))})) to {_lit(str(target))} "
                f"({ROW_FILE})")
