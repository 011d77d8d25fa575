{#- One row per loaded row that deserves a second look: it is loaded, and the warning says why. -#}
select
    'establishments' as source_table, _file as file, cast(_line as bigint) as line, 'finess_et' as column_name,
    finess_et as value, 'finess_et ' || {{ serafin.quoted('finess_et') }} || ' fails the FINESS check digit (Luhn)' as warning
from {{ ref('int_establishments__checked') }} as c
where reject_reason is null and finess_luhn_ok = false  -- once per ESMS: on the row kept
    and exists (select 1 from {{ ref('int_establishments__resolved') }} as r where r._file = c._file and r._line = c._line)

union all

-- an establishment no input gives a category: kept without one (no sector cost range, no category peers)
select
    'establishments', _file, cast(_line as bigint), 'category', cast(null as {{ dbt.type_string() }}),
    'finess_et ' || {{ serafin.quoted('finess_et') }} || ' has no ESMS category: establishments.csv does not list it, '
        || case when in_feed then 'the FINESS feed in finess/ lists it under a category that is not a disability ESMS of nomenclatures/esms_categories.csv'
                when (select count(*) from {{ ref('int_finess_structures__checked') }}) > 0 then 'the FINESS feed in finess/ does not list it'
                else 'there is no FINESS feed in finess/' end
        || ' and its TDDUI Organization carries no ESMS category coding (type). Give it in establishments.csv (finess_et, name, category) or add the FINESS feed to finess/; it is kept without category: no sector cost range, no category peers'
from {{ ref('int_establishments__resolved') }}
where category is null

union all

-- two sources name an establishment differently: the row kept gives the name (establishments.csv first)
select
    'establishments', d._file, cast(d._line as bigint), 'name', d.name,
    'name ' || {{ serafin.quoted('d.name') }} || ' of the TDDUI Organization of finess_et ' || {{ serafin.quoted('d.finess_et') }}
        || ' differs from ' || {{ serafin.quoted('r.name') }} || ' (' || r._file || ', line ' || cast(r._line as {{ dbt.type_string() }})
        || '): ' || case when r.from_fhir then 'the first export by file and entry names it'
                         else 'the name in establishments.csv is kept' end
from {{ ref('int_establishments__checked') }} as d
inner join {{ ref('int_establishments__resolved') }} as r on r.finess_et = d.finess_et
where d.reject_reason is null and d.from_fhir and d.name is not null and r.name is not null
    and not (d._file = r._file and d._line = r._line) and lower(trim(d.name)) <> lower(trim(r.name))

union all

-- two sources give an establishment different categories: establishments.csv, then the FINESS feed, then the export
select
    'establishments', d._file, cast(d._line as bigint), 'category', d.category,
    'category ' || {{ serafin.quoted('d.category') }} || ' of the TDDUI Organization of finess_et ' || {{ serafin.quoted('d.finess_et') }}
        || ' differs from ' || {{ serafin.quoted('r.category') }} || ' of '
        || case r.category_source when 'establishments' then 'establishments.csv' when 'finess' then 'the FINESS feed'
                else 'the first export by file and entry' end || ', which comes first: kept'
from {{ ref('int_establishments__checked') }} as d
inner join {{ ref('int_establishments__resolved') }} as r on r.finess_et = d.finess_et
where d.reject_reason is null and d.from_fhir and d.category is not null and r.category is not null
    and d.category <> r.category

union all

select
    'establishments', _file, cast(_line as bigint), 'category', category,
    'category ' || {{ serafin.quoted('category') }} || ' of finess_et ' || {{ serafin.quoted('finess_et') }}
        || ' differs from the FINESS feed''s ' || {{ serafin.quoted('feed_category') }} || ': establishments.csv comes first, kept'
from {{ ref('int_establishments__resolved') }}
where category_source = 'establishments' and feed_category is not null and feed_category <> category

union all

select
    'finess_structures', _file, cast(_line as bigint), 'finess_et', finess_et,
    'finess_et ' || {{ serafin.quoted('finess_et') }} || ' fails the FINESS check digit (Luhn)'
from {{ ref('int_finess_structures__checked') }}
where reject_reason is null and finess_luhn_ok = false

union all

select
    'activity', _file, cast(_line as bigint), 'duration_min', duration_min_raw,
    'duration_min ' || {{ serafin.quoted('duration_min_raw') }} || ' differs from ended_at - started_at (ended_at '
        || {{ serafin.quoted('ended_at_raw') }} || '): the duration is used'
from {{ ref('int_activity__checked') }}
where reject_reason is null and duration_mismatch

union all

select
    'ledger', _file, cast(_line as bigint), 'section', section_ignored,
    'section ' || {{ serafin.quoted('section_ignored') }} || ' is neither a SERAFIN-PH code nor hors_champ: the account mapping is used'
from {{ ref('int_ledger__checked') }}
where reject_reason is null and section_ignored is not null
