"""The Encounters of a staged FHIR file mapped in DuckDB: événements to activity rows (or unmapped events), séjours to
stays, each failed rule to a rejection, with the same wording as the other mappings (people.py, mapper.py). What
needs the key or the index is resolved once per distinct value (resolve.py, in SQL with the keyed hashes of
keyed.py): each reference a file uses (Patient, Group members, Practitioner through a PractitionerRole,
Organization), each logical Patient identifier, each usager part of an identifier; the rows never go through Python,
and go through Parquet work files rather than memory (stage.copy_to).

A row's line is its entry (or NDJSON line) × 1000 + its rank among that resource's rows of the table: for an
événement, (person position − 1) × professionals + professional position − 1, the persons in the Group's order and
the professionals in the participants' order."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.ingestion.fhir.elements import (
    EVENT_SETTING,
    LINE_FACTOR,
    LOCAL_ID_IN_SQL,
    SERAFIN_SYSTEM,
    STATUS,
    STAY_MODALITY,
)
from pipelines.ingestion.fhir.stage import (
    CODEABLE,
    _lit,
    copy_to,
    encounters_sqls,
    side_by_side,
    work_files,
)
from pipelines.ingestion.schema import ROW_FILE, TABLES

ENCOUNTER_TABLES = ("activity", "stays", "fhir_unmapped_events")  # the row files this module writes
WHEN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?)(Z|[+-][0-9]{2}:[0-9]{2})?$"


def _case(column: str, mapping: dict[str, str], otherwise: str = "null") -> str:
    whens = " ".join(f"when {_lit(k)} then {_lit(v)}" for k, v in mapping.items())
    return f"case {column} {whens} else {otherwise} end"


# Encounter.type as the guide gives it (an array of CodeableConcepts) or as a single one (some exports)
# (typed as an array, parsed once; only what is not an array is parsed again, as one CodeableConcept)
TYPES = (f"coalesce(json_transform(enc.type, {_lit(json.dumps([CODEABLE]))}), "
         f"[json_transform(enc.type, {_lit(json.dumps(CODEABLE))})])")
# The usual type, one CodeableConcept of one SERAFIN-PH coding (the guide's system, a code), read from the reader's
# JSON text without parsing it again: the reader writes it minified, keys in the export's order, so that type opens
# with ONE_OPENING and ends with ONE_CLOSING, the code between them. Without a backslash every quote of the text is
# JSON's own: a code without one is the code as written. Any other text (a display, another coding or system, an
# escape, a single CodeableConcept) gives NULL, and the type is parsed (TYPES) and its codings looked through.
ONE_OPENING = '[{"coding":[{"system":"' + SERAFIN_SYSTEM + '","code":"'
ONE_CLOSING = '"}]}]'
ONE_CODE = (f"case when prefix(enc.type, {_lit(ONE_OPENING)}) and suffix(enc.type, {_lit(ONE_CLOSING)}) "
            f"and not contains(enc.type, '\\') then substr(enc.type, {len(ONE_OPENING) + 1}, "
            f"strlen(enc.type) - {len(ONE_OPENING) + len(ONE_CLOSING)}) end")
# the code of ONE_CODE (counted in bytes, taken in characters, cheaper: a code that is not ASCII takes a quote of
# ONE_CLOSING with it, and is then parsed as any other type)
ONE_SERAFIN = "case when one <> '' and not contains(one, '\"') then trim(one) end"
_TEXTS = "list_filter(list_transform(coalesce(types, []), c -> c.text), x -> coalesce(x, '') <> '')"
_OTHERS = ("array_to_string(list_transform(codings, c -> coalesce(c.system, '') || '#' || coalesce(c.code, '') "
           "|| case when coalesce(c.display, '') <> '' then ' ' || c.display else '' end), ' | ')")
# flat columns but the participants (materialised once, scanned by each step after)
ENCOUNTERS = f"""
    select * exclude (codings, types, fast_serafin),
        -- the other codes: only an event without SERAFIN-PH coding needs them (CASE evaluates them for it alone)
        case when serafin is null then nullif(array_to_string(list_filter(
            [nullif({_OTHERS}, ''), nullif(array_to_string({_TEXTS}, ' | '), '')], x -> x is not null), ' | '), '')
        end as other_type_codes
    from (select *, case when fast_serafin is not null then fast_serafin
                         when len(codings) = 1 then case when contains(lower(codings[1].system), 'serafin')
                                                          and codings[1].code <> '' then trim(codings[1].code) end
                         else trim(list_filter(codings, c -> contains(lower(c.system), 'serafin')
                                                             and c.code <> '')[1].code) end as serafin
    from (select n, sub,
        case when coalesce(enc.id, '') <> '' then 'Encounter/' || enc.id else 'Encounter' end as descr,
        case when len(enc.identifier) = 1 then case when coalesce(enc.identifier[1].value, '') <> ''
                                                    then trim(enc.identifier[1].value) else enc.id end
             else coalesce(trim(list_filter(enc.identifier, x -> coalesce(x.value, '') <> '')[1].value), enc.id)
        end as ident,
        coalesce(contains(lower(array_to_string(enc.meta.profile, ' ')), 'encounter-sejour'), false) as is_stay,
        nullif(enc.period.start, '') as start, enc.period."end" as finish, enc.status, enc.class.code as class_code,
        case when fast_serafin is not null then []
             when len(types) = 1 then coalesce(types[1].coding, [])
             else flatten(list_transform(coalesce(types, []), c -> coalesce(c.coding, []))) end as codings,
        types, fast_serafin,
        nullif(enc.subject.reference, '') as subject_ref, enc.subject.identifier as subject_ident,
        participants,
        nullif(enc.serviceProvider.reference, '') as provider_ref,
        nullif(enc.serviceProvider.identifier.value, '') as provider_ident,
        enc.length.value as length_value, coalesce(nullif(enc.length.unit, ''), nullif(enc.length.code, ''), 'min')
            as length_unit,
        case when enc.extension is not null then list_filter(enc.extension, x -> suffix(coalesce(x.url, ''),
            'tddui-event-outside-service'))[1].valueBoolean end as outside  -- the lambda only where there is a list
    from (select *, case when fast_serafin is null then {TYPES} end as types
    from (select *, {ONE_SERAFIN} as fast_serafin
    from (select *, {ONE_CODE} as one,
              case when len(enc.participant) = 1 then case when coalesce(enc.participant[1].individual.reference, '')
                                                               <> '' then [enc.participant[1].individual.reference]
                                                          else []::VARCHAR[] end
                   else list_filter(list_transform(enc.participant, p -> p.individual.reference),
                                    r -> coalesce(r, '') <> '') end as participants
          from ({{entries}}))))))"""


def _when(column: str) -> str:
    # one regular expression: its first group is never empty when it matches (a date at least), '' when it does not.
    # A date, or a date and time to the second, without offset (10 or 19 ASCII characters, no space) is given back as
    # it is, with no regular expression: no text of 10 or 19 characters WHEN matches has an offset (a date and time
    # with one has 11, 16, 17, 20, 22 or more), and trim strips no other ASCII character than the space
    return (f"case when coalesce({column}, '') = '' then null "
            f"when strlen({column}) in (10, 19) and length({column}) = strlen({column}) "
            f"and not contains({column}, ' ') then {column} "
            f"else coalesce(nullif(regexp_extract(trim({column}), {_lit(WHEN)}, 1), ''), {column}) end")


def load_encounters(con, staged) -> str:
    """The Encounters of a staged file into Parquet work files (`staged.encounters`: one per part of its lines, typed
    side by side; the relation reading them returned); a line the JSON reader cannot type makes the file go the slow
    way first (stage.materialise; FhirProblem for a Bundle: it is not valid)."""
    import duckdb

    from pipelines.ingestion.fhir.elements import FhirProblem
    from pipelines.ingestion.fhir.stage import materialise

    def typed() -> str:
        if not staged.typed_early:
            sqls = [ENCOUNTERS.replace('{entries}', sql) for sql in encounters_sqls(staged)]
            side_by_side(con, work_files(staged.encounters, sqls))
        return f"read_parquet({_lit(str(staged.encounters / '*.parquet'))})"

    try:
        return typed()
    except duckdb.InvalidInputException as exc:
        if staged.bundle or not staged.fast:
            raise FhirProblem(f"not valid JSON ({str(exc).splitlines()[0]})") from exc
        materialise(con, staged)
        return typed()


def map_encounters(con, enc: str, tag: str, rel: str, targets: dict[str, Path], work: Path) -> dict:
    """The Encounters `enc` (load_encounters) → the row files `targets` (activity, stays, fhir_unmapped_events),
    the tables of resolve.Resolved.prepare in place under `tag`, work files beside `work`; returns
    {"rows": {table: n}, "rejections": [(table, line, column, value, reason)]}."""
    folder = work.with_suffix(".events")
    try:
        ev = events(con, enc, tag, folder)
        # the rules read only the Encounters that may break one (SUSPECT), and the rows beyond LINE_FACTOR only those
        # that may give that many (MAY_BE_OVER): kept once, few, rather than the million scanned per rule
        con.execute(f"create or replace temp table {tag}_suspects as select * from {ev} "
                    f"where {SUSPECT} or {MAY_BE_OVER.replace('e.sub', 'sub')}")
        rows = {"activity": _write_activity(con, ev, tag, rel, targets["activity"]),
                "stays": _write_stays(con, ev, rel, targets["stays"]),
                "fhir_unmapped_events": _write_unmapped(con, ev, rel, targets["fhir_unmapped_events"])}
        return {"rows": rows, "rejections": con.execute(_rejections_sql(f"{tag}_suspects", tag)).fetchall()}
    finally:
        con.execute(f"drop table if exists {tag}_over")
        con.execute(f"drop table if exists {tag}_suspects")
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def events(con, enc: str, tag: str, folder: Path) -> str:
    """The Encounters of `enc` resolved (`_resolved_sql`) into a Parquet work file of `folder` by one statement on
    every DuckDB thread (resolving a range of lines per cursor, side by side, cost a fifth more CPU: each cursor built
    its own hash tables of the references); returns the relation reading it back."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.parquet"
    con.execute(copy_to(_resolved_sql(enc, tag), path))
    return f"read_parquet({_lit(str(path))})"


def sources(enc: str) -> dict[str, str]:
    """The references, logical identifiers and identifiers to scrub the Encounters of `enc` use (for
    resolve.Resolved.prepare)."""
    return {"references": f"select subject_ref as ref from {enc} union all select provider_ref from {enc} "
                          f"union all select unnest(participants) from {enc}",
            "logical": f"select subject_ident::varchar as identifier from {enc} where subject_ref is null",
            "idents": f"select ident from {enc}"}


def ident_parts(column: str) -> str:
    """The parts of an identifier of the guide's form (`site`, `usager`, `rest`: empty strings when it is not of
    that form), read by one regular expression."""
    return f"regexp_extract({column}, {_lit(LOCAL_ID_IN_SQL)}, ['site', 'usager', 'rest'])"


def step_sql(alias: str, tag: str) -> str:
    """An identifier of the guide's form with its usager part replaced by its pseudonym (`sc`: `<tag>_scrub`;
    `{alias}.idm`: the identifier's ident_parts)."""
    return (f"case when {alias}.idm.site <> '' then {alias}.idm.site || '/' || sc.pseudonym || '-' || "
            f"{alias}.idm.rest else {alias}.ident end")


def scrub_join(alias: str) -> str:
    """The join condition of an identifier's row (`{alias}.idm`) with its usager part's pseudonym (`sc`): one
    equality, so that DuckDB joins by hash (a condition on `{alias}` alone beside it made a nested-loop join, every
    identifier compared with every usager)."""
    return f"sc.part = case when {alias}.idm.site <> '' then {alias}.idm.site || '/' || {alias}.idm.usager end"


def _resolved_sql(enc: str, tag: str, tables: dict[str, str] | None = None) -> str:
    """Each Encounter with its references resolved: identifier scrubbed, FINESS, persons (a Patient, or the Group's
    members: NULL for one not found), professionals, SERAFIN-PH code and the other codes. `tables`: the relations
    of resolve.Resolved.prepare's tables (`refs`, `logical`, `scrub`, `nir`; the temp tables `<tag>_...` by
    default)."""
    step = step_sql("e", tag)
    t = tables or {name: f"{tag}_{name}" for name in ("refs", "logical", "scrub", "nir")}
    return f"""
    with parts as not materialized (  -- inlined where it is read (twice): streamed, never held whole
        select n, sub, idx, r.professional
        from (select n, sub, x.v as ref, x.i as idx
              from (select n, sub, unnest(list_transform(participants, (v, i) -> {{'v': v, 'i': i}})) as x
                    from {enc} where not is_stay and len(participants) > 1)) as p
        left join {t['refs']} as r on r.ref = p.ref
    ),
    bad as (select n, sub, bool_or(professional is null) as bad_participant from parts group by n, sub),
    firsts as (select n, sub, professional, min(idx) as pos from parts where professional is not null group by all),
    listed as (select n, sub, list(professional order by pos) as professionals from firsts group by n, sub),
    professionals as (
        select b.n, b.sub, b.bad_participant, l.professionals
        from bad as b left join listed as l on l.n = b.n and l.sub = b.sub
    ),
    base as (
        select e.* exclude (participants, single_participant, idm), {step} as step1,
            coalesce(pr.organization,
                     case when length(e.provider_ident) = 10 then substr(e.provider_ident, 2) else e.provider_ident end,
                     nullif(regexp_extract(e.ident, '^3([0-9]{{2}}[0-9AB][0-9]{{6}})/', 1), '')) as finess,
            s.is_group, s.members,
            case when e.subject_ref is not null then s.patient else l.person end as person,
            e.subject_ref is not null or coalesce(e.subject_ident, 'null') not in ('null', '{{}}', '[]', '""',
                'false', '0') as has_subject,
            -- one participant (most events): its professional, else the list of the participants' (parts)
            case when len(e.participants) = 1 then p1.professional is null
                 else coalesce(pa.bad_participant, false) end as bad_participant,
            case when len(e.participants) = 1 then case when p1.professional is null then []::VARCHAR[]
                                                        else [p1.professional] end
                 else coalesce(pa.professionals, []) end as professionals
        from (select *, {ident_parts('ident')} as idm,
                  case when len(participants) = 1 then participants[1] end as single_participant from {enc}) as e
        left join {t['refs']} as p1 on p1.ref = e.single_participant
        left join {t['refs']} as pr on pr.ref = e.provider_ref
        left join {t['refs']} as s on s.ref = e.subject_ref
        left join {t['logical']} as l
            on l.identifier = case when e.subject_ref is null then e.subject_ident::varchar end  -- one equality (hash)
        left join {t['scrub']} as sc on {scrub_join('e')}
        left join professionals as pa on pa.n = e.n and pa.sub = e.sub
    ),
    -- only what the rows and rejections read (the work file is written whole)
    resolved as (
        select b.* exclude (ident, status, subject_ref, subject_ident, provider_ref, provider_ident, step1),
            coalesce(nr.scrubbed, b.step1) as scrubbed,
            {_case('b.status', STATUS, 'b.status')} as status_mapped
        from base as b left join {t['nir']} as nr on nr.value = b.step1
    )
    select * from resolved"""


def _activity_columns() -> str:
    values = {"event_id": "scrubbed", "person_id": "person_id", "finess_et": "finess", "professional_id": "professional",
              "prestation_code": "serafin", "started_at": _when("start"), "ended_at": _when("finish"),
              "duration_min": "case when length_unit in ('min', 'minutes') then length_value end",
              "setting": _case("class_code", EVENT_SETTING), "status": "status_mapped",
              "outside_plan": "case outside when true then '1' when false then '0' end"}
    return ", ".join(f"{values.get(c, 'cast(null as varchar)')} as {c}" for c in TABLES["activity"].column_names)


PERSONS = ("case when not has_subject then [null] when is_group then list_filter(members, m -> m is not null) "
           "else [person] end")
GIVES = ("not is_stay and start is not null and finess is not null and serafin is not null "
         "and (not has_subject or is_group or person is not null) and not bad_participant")
SIZE = f"len({PERSONS}) * greatest(len(professionals), 1)"
# what an event needs to give more than LINE_FACTOR rows (SIZE is at most this; checked first: it is cheap)
MAY_BE_OVER = f"(e.sub > 0 or greatest(coalesce(len(members), 1), 1) * greatest(len(professionals), 1) > {LINE_FACTOR})"
OFFSET = "coalesce(sum(len_rows) over (partition by n order by sub rows between unbounded preceding and 1 preceding), 0)"


def _activity_rows(ev: str, over: bool = False) -> str:
    """The événements that give rows, one row per person (NULL: no subject) × professional (NULL: none), ranked (the
    rank of an entry of an NDJSON line holding a Bundle follows the rows of the entries before it), streamed from
    `ev`; only the events that give more than LINE_FACTOR rows when `over`."""
    return f"""
        with offsets as (
            select n, sub, {OFFSET} as shift from (select n, sub, {SIZE} as len_rows from {ev} where sub > 0 and {GIVES})
        ),
        ok as (
            select e.n, e.sub, descr, scrubbed, finess, serafin, start, finish, length_value, length_unit, class_code,
                   status_mapped, outside, {PERSONS} as persons,
                   case when len(professionals) = 0 then [null] else professionals end as pros,
                   greatest(len(professionals), 1) as n_pros, coalesce(o.shift, 0) as shift
            from {ev} as e left join offsets as o on o.n = e.n and o.sub = e.sub
            where {GIVES}{f' and {MAY_BE_OVER} and coalesce(o.shift, 0) + {SIZE} > {LINE_FACTOR}' if over else ''}
        )
        -- one row per (person, professional), persons outer: k = (person position - 1) × n_pros + professional's - 1
        select * exclude (k, pros, persons), persons[k // n_pros + 1] as person_id, pros[k % n_pros + 1]
            as professional, k + shift as rank
        from (select *, unnest(range(len(persons) * n_pros)) as k from ok)"""


def _write_activity(con, ev: str, tag: str, rel: str, target: Path) -> int:
    """The activity row file, in line order; the events beyond LINE_FACTOR rows to `<tag>_over`, found among the
    suspects (map_encounters: every event that may give that many, every entry of a Bundle line)."""
    con.execute(f"create or replace temp table {tag}_over as select n, descr from "
                f"({_activity_rows(f'{tag}_suspects', True)}) where rank >= {LINE_FACTOR}")
    # the file's name added after the sort (a text of each row the sort would carry: a tenth of its work)
    return con.execute(f"copy (select * exclude (_line), {_lit(rel)} as _file, _line from ("
                       f"select {_activity_columns()}, n * {LINE_FACTOR} + rank as _line from ({_activity_rows(ev)}) "
                       f"where rank < {LINE_FACTOR} order by _line)) to {_lit(str(target))} ({ROW_FILE})").fetchone()[0]


def _write_stays(con, ev: str, rel: str, target: Path) -> int:
    values = {"stay_id": "scrubbed", "person_id": "person", "finess_et": "finess", "start_date": "left(start, 10)",
              "end_date": "nullif(left(finish, 10), '')",
              "modality": _case("class_code", STAY_MODALITY, "nullif(class_code, '')")}
    columns = ", ".join(f"{values.get(c, 'cast(null as varchar)')} as {c}" for c in TABLES["stays"].column_names)
    return con.execute(f"""copy (select {columns}, {_lit(rel)} as _file,
            n * {LINE_FACTOR} + row_number() over (partition by n order by sub) - 1 as _line
        from {ev} where is_stay and start is not null and person is not null and finess is not null order by n, sub)
        to {_lit(str(target))} ({ROW_FILE})""").fetchone()[0]


def _write_unmapped(con, ev: str, rel: str, target: Path) -> int:
    return con.execute(f"""copy (select scrubbed as event_id, finess as finess_et, status_mapped as status,
            {_when('start')} as started_at, other_type_codes, {_lit(rel)} as _file, n * {LINE_FACTOR} as _line
        from {ev} where not is_stay and start is not null and finess is not null and serafin is null order by n, sub)
        to {_lit(str(target))} ({ROW_FILE})""").fetchone()[0]


# every Encounter a rule of _rejections_sql may reject is one of these (each rule's condition implies it)
SUSPECT = ("is_stay or start is null or finess is null or bad_participant "
           "or (person is null and not coalesce(is_group, false)) "  # a Group's event has no person of its own
           "or coalesce(is_group and list_count(members) < len(members), false)")  # a member not found


def _rejections_sql(ev: str, tag: str) -> str:
    def rule(table: str, column: str, reason: str, where: str, source: str = ev) -> str:
        return (f"select '{table}', n * {LINE_FACTOR}, {_lit(column) if column else 'null'}, descr, "
                f"{_lit(reason)} || ' (entry ' || n || ')' from {source} where {where}")

    event, stay = "not is_stay", "is_stay"
    subject = "a member of the Group subject: no Patient with this reference in the files"
    members = (f"(select n, descr from {ev}, (select unnest(members) as member) as m where {event} and start is not "
               f"null and finess is not null and serafin is not null and has_subject and is_group "
               f"and member is null)")
    return " union all ".join([
        rule("activity", "period", "Encounter événement without period.start (mandatory)", f"{event} and start is null"),
        rule("activity", "serviceProvider", "serviceProvider: no Organization with a FINESS",
             f"{event} and start is not null and finess is null"),
        rule("activity", "subject", subject, "true", members),
        rule("activity", "subject", "subject: no Patient with this reference in the files",
             f"{event} and start is not null and finess is not null and serafin is not null and has_subject "
             "and not coalesce(is_group, false) and person is null"),
        rule("activity", "participant", "participant: no Practitioner with this reference in the files",
             f"{event} and start is not null and finess is not null and serafin is not null and bad_participant "
             "and (not has_subject or (is_group and len(list_filter(members, x -> x is not null)) > 0) "
             "or (not coalesce(is_group, false) and person is not null))"),
        rule("activity", "", f"more than {LINE_FACTOR} rows from one resource", "true", f"{tag}_over"),
        rule("stays", "period", "Encounter séjour without period.start (mandatory)", f"{stay} and start is null"),
        rule("stays", "subject", "subject: no Patient with this reference in the files",
             f"{stay} and start is not null and person is null"),
        rule("stays", "serviceProvider", "serviceProvider: no Organization with a FINESS",
             f"{stay} and start is not null and person is not null and finess is null"),
    ])


def empty(con, table: str, target: Path) -> int:
    columns = list(TABLES[table].column_names) if table in TABLES else [
        "event_id", "finess_et", "status", "started_at", "other_type_codes"]
    select = ", ".join(f"cast(null as varchar) as {c}" for c in [*columns, "_file"])
    return con.execute(f"copy (select {select}, cast(null as bigint) as _line where false) to {_lit(str(target))} "
                       f"({ROW_FILE})").fetchone()[0]
