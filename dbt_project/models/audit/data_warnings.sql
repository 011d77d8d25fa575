{#- One row per loaded row that deserves a second look: it is loaded, and the warning says why; one row per file
    for the rows naming persons the persons files do not list (line empty). -#}
select
    'establishments' as source_table, _file as file, cast(_line as bigint) as line, 'finess_et' as column_name,
    finess_et as value, 'finess_et ' || {{ serafin.quoted('finess_et') }} || ' fails the FINESS check digit (Luhn)' as warning
from {{ ref('int_establishments__checked') }}
where reject_reason is null and finess_luhn_ok = false

union all

select
    'establishments', _file, cast(_line as bigint), 'siret', siret_raw,
    'siret ' || {{ serafin.quoted('siret_raw') }} || ' is not a SIRET (14 digits): no DSN workplace is placed on this ESMS by it'
from {{ ref('int_establishments__checked') }}
where reject_reason is null and siret_raw is not null and siret is null

union all

select
    'staff', _file, cast(_line as bigint), 'profession', profession_raw,
    'the DSN job label ' || {{ serafin.quoted('profession_raw') }} || ' (PCS-ESE ' || coalesce(pcs_ese, 'none')
        || ') maps to no profession: loaded as ' || profession || '; add it to nomenclatures/profession_synonyms.csv'
from {{ ref('int_staff__checked') }}
where reject_reason is null and profession_match = 'none'

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

union all

select
    'ledger', _file, cast(_line as bigint), 'EcritureNum', entry,
    'entry ' || {{ serafin.quoted('journal') }} || ' ' || {{ serafin.quoted('entry') }} || ': debits ' || debit
        || ' and credits ' || credit || ' differ (a FEC entry should balance): loaded as it is'
from {{ source('raw', 'fec_unbalanced') }}

{#- A person named by a file but listed by no persons file (a partial export: the persons of the current year
    only): the rows load, their person's birth year and sex are unknown to the indicators. One warning per file,
    with how many rows and persons (never which: a person id is not repeated here). -#}
{% set person_tables = [['stays', 'stay', 'stays'], ['needs', 'need', 'needs'], ['plans', 'plan line', 'plan lines'],
                        ['activity', 'activity row', 'activity rows'], ['orientations', 'orientation', 'orientations']] %}
{% for table, one, many in person_tables %}

union all

select
    '{{ table }}', absent.file, cast(null as bigint), 'person_id', cast(null as {{ dbt.type_string() }}),
    cast(absent.row_count as {{ dbt.type_string() }}) || case when absent.row_count = 1 then ' {{ one }} names '
        else ' {{ many }} name ' end
    || cast(absent.person_count as {{ dbt.type_string() }})
    || case when absent.person_count = 1 then ' person' else ' persons' end
    || ' absent from ' || case when pf.files = 0 then 'the persons files (none was loaded)'
                               when pf.files = 1 then pf.first_file
                               else 'the ' || cast(pf.files as {{ dbt.type_string() }}) || ' persons files' end
    || ': their birth year and sex are unknown'
from (
    select r._file as file, count(*) as row_count, count(distinct r.person_id) as person_count
    from {{ ref(table) }} as r
    left join {{ ref('persons') }} as p on p.person_id = r.person_id
    where r.person_id is not null and p.person_id is null
    group by r._file
) as absent
cross join (
    select count(*) as files, min(file) as first_file
    from {{ source('raw', 'ingested_files') }}
    where source_table = 'persons' and status = 'loaded' and rows_read > 0
) as pf
{% endfor %}
