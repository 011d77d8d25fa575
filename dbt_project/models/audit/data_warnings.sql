{#- One row per loaded row that deserves a second look: it is loaded, and the warning says why. -#}
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
