with source as (
    select * from {{ source('raw', 'ledger') }}
)

select
    upper(source.finess_et) as finess_et_raw,
    source.year as year_raw,
    {{ serafin.parse_int('source.year') }} as year,
    -- PCG account: digits only ('6411 00' -> '641100')
    source.account as account_raw,
    {{ serafin.strip_spaces('source.account') }} as account,
    source.label as label_raw,
    source.amount as amount_raw,
    {{ serafin.parse_decimal('source.amount') }} as amount,
    -- explicit section: a SERAFIN-PH code (aliases resolved) or hors_champ
    source.section as section_raw,
    case when {{ serafin.fold('source.section') }} in ('hors_champ', 'horschamp') then 'hors_champ'
         when section.kind in ('prestation_directe', 'prestation_indirecte') then section.code end as section,
    section.kind as section_kind,
    source._file,
    source._line
from source
{{ serafin.code_join('section', 'source.section') }}
