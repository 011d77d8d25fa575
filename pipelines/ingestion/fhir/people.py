"""Patients → persons and SERAFIN QuestionnaireResponses → needs in DuckDB, over a staged file's objects
(stage.objects_sql), with the same rules and wording as the Python mapping they replace:

- a Patient gives one persons row: the pseudonym of its local identifier (never an INS or a NIR:
  indexing.local_identifier_sql), its year of birth and sex; without a local identifier it is rejected;
- a QuestionnaireResponse on the SERAFIN questionnaire (its `questionnaire` names it) gives one needs row per
  answered item, walked in document order (an item, the items under its answers, then its own sub-items), its
  linkId mapped by `nomenclatures/tddui_serafin_linkids.csv` (an empty code, the free-text comment, gives no row;
  a linkId not listed is rejected); the level from its first answer (0–3 as an integer, a decimal or a code; false
  is 0; anything else the default). Without `authored`, or without a Patient, it is rejected.

A row's line is its entry × 1000 + its rank among the rows of that entry (as every FHIR row: elements.LINE_FACTOR)."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingestion.fhir.elements import LINE_FACTOR, SEX
from pipelines.ingestion.fhir.encounters import _case
from pipelines.ingestion.fhir.indexing import local_identifier_sql
from pipelines.ingestion.fhir.stage import _lit, _read_objects
from pipelines.ingestion.schema import ROW_FILE, TABLES

PEOPLE_TABLES = ("persons", "needs")
NO_LOCAL = "Patient without a local identifier (INS and NIR are never used as person ids)"


def _descr(kind: str) -> str:
    return f"case when coalesce(rid, '') <> '' then '{kind}/' || rid else '{kind}' end"


def _copy(con, columns: dict[str, str], table: str, source: str, rel: str, target: Path) -> int:
    """Rows of `source` (n, rank, the columns' expressions) with rank < LINE_FACTOR to the row file `target`."""
    select = ", ".join(f"{columns.get(c, 'cast(null as varchar)')} as {c}" for c in TABLES[table].column_names)
    return con.execute(f"copy (select {select}, {_lit(rel)} as _file, n * {LINE_FACTOR} + rank as _line "
                       f"from ({source}) where rank < {LINE_FACTOR} order by n, rank) to {_lit(str(target))} "
                       f"({ROW_FILE})").fetchone()[0]


def _patients(staged) -> str:
    local = local_identifier_sql("json_extract(raw, '$.identifier')")
    return f"""select n, sub, json_extract_string(raw, '$.id') as rid, {local} as local,
        json_extract_string(raw, '$.birthDate') as birth, json_extract_string(raw, '$.gender') as gender
    from {_read_objects(staged)} where problem is null and kind = 'Patient'"""


def map_patients(con, staged, rel: str, target: Path) -> tuple[int, list[tuple]]:
    """The file's Patients → the persons row file; returns (rows, rejections)."""
    tag = f"fhir_{abs(hash(str(staged.objects))) % 10**9}_pat"
    # every Patient once (its local identifier is the costly part), ranked among the rows of its entry
    con.execute(f"create or replace temp table {tag} as select *, row_number() over (partition by n, local is null "
                f"order by sub) - 1 as rank from ({_patients(staged)})")
    try:
        rows = _copy(con, {"person_id": "fhir_pseudonym(local)",
                           "birth_year": "case when coalesce(birth, '') <> '' then left(birth, 4) end",
                           "sex": _case("gender", SEX)}, "persons", f"select * from {tag} where local is not null",
                     rel, target)
        rejections = con.execute(
            f"select 'persons', n * {LINE_FACTOR}, 'identifier', {_descr('Patient')}, "
            f"{_lit(NO_LOCAL)} || ' (entry ' || n || ')' from {tag} where local is null "
            f"union all select 'persons', n * {LINE_FACTOR}, null, {_descr('Patient')}, "
            f"'more than {LINE_FACTOR} rows from one resource (entry ' || n || ')' from {tag} "
            f"where local is not null and rank >= {LINE_FACTOR} order by 2, 3 nulls first").fetchall()
        return rows, rejections
    finally:
        con.execute(f"drop table if exists {tag}")


def responses_sql(staged) -> str:
    """The SERAFIN QuestionnaireResponses: n, sub, rid, authored, raw, subject_ref and subject_ident (a logical
    reference's identifier, as JSON text), as resolve.Resolved reads references from them."""
    return f"""select n, sub, json_extract_string(raw, '$.id') as rid, json_extract_string(raw, '$.authored') as authored,
        raw, nullif(json_extract_string(raw, '$.subject.reference'), '') as subject_ref,
        json_extract(raw, '$.subject.identifier')::VARCHAR as subject_ident
    from {_read_objects(staged)} where problem is null and kind = 'QuestionnaireResponse'
        and contains(lower(coalesce(json_extract_string(raw, '$.questionnaire'), '')), 'serafin')"""


_CHILDREN = ("list_concat(flatten(list_transform(coalesce(json_extract(w.item, '$.answer[*]'), []), (a, ai) -> "
             "list_transform(coalesce(json_extract(a, '$.item[*]'), []), (c, ci) -> {'k': [1, ai, ci], 'v': c}))), "
             "list_transform(coalesce(json_extract(w.item, '$.item[*]'), []), (c, ci) -> {'k': [2, 0, ci], 'v': c}))")


def _level(answer: str) -> str:
    """mapper's level of an answered need item, from its first answer (JSON)."""
    number = "try_cast(json_extract_string({a}, '$.{k}') as double)"
    whens = " ".join(f"when {number.format(a=answer, k=k)} between 0 and 3 "
                     f"then cast(trunc({number.format(a=answer, k=k)}) as bigint)::varchar"
                     for k in ("valueInteger", "valueDecimal"))
    code = f"json_extract_string({answer}, '$.valueCoding.code')"
    return (f"case {whens} when {code} in ('0', '1', '2', '3') then {code} "
            f"when json_type({answer}, '$.valueBoolean') = 'BOOLEAN' "
            f"and json_extract_string({answer}, '$.valueBoolean') = 'false' then '0' end")


def map_responses(con, staged, tag: str, rel: str, target: Path) -> tuple[int, list[tuple]]:
    """The file's SERAFIN QuestionnaireResponses → the needs row file (the tables of resolve.Resolved.prepare and
    `<tag>_linkids` in place); returns (rows, rejections)."""
    items = f"{tag}_items"
    con.execute(f"""create or replace temp table {tag}_qr as
        select q.n, q.sub, q.rid, q.authored, q.raw,
            case when q.subject_ref is not null then r.patient else l.person end as person
        from ({responses_sql(staged)}) as q left join {tag}_refs as r on r.ref = q.subject_ref
        left join {tag}_logical as l
            on l.identifier = case when q.subject_ref is null then q.subject_ident end""")
    con.execute(f"""create or replace temp table {items} as
        with recursive walk(n, sub, path, item) as (
            select n, sub, [x.i], x.v from (select n, sub, unnest(list_transform(
                coalesce(json_extract(raw, '$.item[*]'), []), (v, i) -> {{'v': v, 'i': i}})) as x
                from {tag}_qr where coalesce(authored, '') <> '' and person is not null)
            union all
            select w.n, w.sub, w.path || ch.k, ch.v from walk as w, (select unnest({_CHILDREN}) as ch) as u
        )
        select w.n, w.sub, w.path, coalesce(json_extract_string(w.item, '$.linkId'), '') as link, k.need_code,
            {_level("json_extract(w.item, '$.answer[0]')")} as level
        from walk as w left join {tag}_linkids as k on k.link_id = coalesce(json_extract_string(w.item, '$.linkId'), '')
        where coalesce(json_array_length(w.item, '$.answer'), 0) > 0""")
    try:
        source = (f"select i.n, i.level, i.need_code, q.person, q.authored, row_number() over "
                  f"(partition by i.n order by i.sub, i.path) - 1 as rank from {items} as i "
                  f"join {tag}_qr as q on q.n = i.n and q.sub = i.sub where i.need_code <> ''")
        con.execute(f"create or replace temp table {tag}_needs as {source}")
        rows = _copy(con, {"person_id": "person", "assessed_on": "left(authored, 10)", "need_code": "need_code",
                           "level": "level", "source": "'esms'"}, "needs", f"select * from {tag}_needs", rel, target)
        descr = _descr("QuestionnaireResponse")
        entry = "' (entry ' || n || ')'"
        rejections = con.execute(f"""
            select 'needs', n * {LINE_FACTOR}, 'authored', {descr},
                'SERAFIN evaluation without its date (authored)' || {entry} from {tag}_qr
            where coalesce(authored, '') = ''
            union all select 'needs', n * {LINE_FACTOR}, 'subject', {descr},
                'subject: no Patient with this reference in the files' || {entry} from {tag}_qr
            where coalesce(authored, '') <> '' and person is null
            union all select 'needs', i.n * {LINE_FACTOR}, 'linkId', {descr.replace('rid', 'q.rid')},
                'linkId ''' || i.link || ''' is not an item of the SERAFIN questionnaire '
                || '(nomenclatures/tddui_serafin_linkids.csv) (entry ' || i.n || ')'
            from {items} as i join {tag}_qr as q on q.n = i.n and q.sub = i.sub where i.need_code is null
            union all select 'needs', n * {LINE_FACTOR}, null, 'QuestionnaireResponse',
                'more than {LINE_FACTOR} rows from one resource' || {entry} from {tag}_needs
            where rank >= {LINE_FACTOR}""").fetchall()
        return rows, rejections
    finally:
        for name in ("qr", "items", "needs"):
            con.execute(f"drop table if exists {tag}_{name}")
