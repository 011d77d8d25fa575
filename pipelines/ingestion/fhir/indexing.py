"""Pass 1 in DuckDB: the index rows of a staged file's resources others refer to (elements.INDEXED), a set at a
time over its objects (stage.objects_sql), with the keyed hashes of keyed.py: (resource_type, id key, fullUrl key,
value), in file order. The value is a Patient's pseudonym (its local identifier: `local_identifier_sql`), a
Practitioner's (as a CSV file's intervenant), a PractitionerRole's `ref:` + its Practitioner's reference keys, a
Group's members' reference keys (`|` between members, `,` between a member's keys), a Consent's `status|date`, an
Organization's FINESS (`elements.organisation_finess`: a few per file, read in Python)."""

from __future__ import annotations

from pipelines.ingestion.fhir.elements import INDEXED, INS_SYSTEMS, INS_TYPES, organisation_finess
from pipelines.ingestion.fhir.keyed import WHITESPACE
from pipelines.ingestion.fhir.stage import _lit, _read_objects

NIR_FULL = "[12378][0-9]{12}([0-9]{2})?"  # elements.NIR as a whole value (its look-arounds then always hold)


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
    groups as (select n, sub, string_agg(k, '|' order by pos) as value
               from members join member_keys using (ref) group by n, sub)
    select o.kind, case when coalesce(o.rid, '') <> '' then fhir_pseudonym('id ' || o.kind || '/' || o.rid) end,
        case when coalesce(o.full_url, '') <> '' then fhir_pseudonym('url ' || o.full_url) end,
        case o.kind
            when 'Patient' then fhir_pseudonym({local_identifier_sql("json_extract(o.raw, '$.identifier')")})
            when 'Practitioner' then 'S' || substr(fhir_pseudonym(coalesce(nullif({practitioner}, ''), o.rid,
                                                                          'None')), 2)
            when 'PractitionerRole' then 'ref:' || {ref_keys_sql(
                "coalesce(json_extract_string(o.raw, '$.practitioner.reference'), '')")}
            when 'Group' then coalesce(g.value, '')
            when 'Consent' then coalesce(json_extract_string(o.raw, '$.status'), '') || '|'
                || coalesce(left(json_extract_string(o.raw, '$.dateTime'), 10), '')
        end as value,
        case when o.kind = 'Organization' then o.raw end as organization
    from o left join groups as g on g.n = o.n and g.sub = o.sub
    order by o.n, o.sub"""


def index_rows(con, staged) -> list[tuple]:
    """The file's index rows (keyed.installed must be in force), in file order."""
    import orjson

    rows = []
    for kind, rid, url, value, organization in con.execute(index_sql(staged)).fetchall():
        if organization is not None:
            resource = orjson.loads(organization)
            value = organisation_finess(resource) if isinstance(resource, dict) else None
        rows.append((kind, rid, url, value))
    return rows
