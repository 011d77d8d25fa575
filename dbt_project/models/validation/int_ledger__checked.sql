{#- Ledger lines are never de-duplicated: the same account may appear on several lines. -#}
{% set checks = [
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('year'),
    serafin.check_parsed('year', 'a year'),
    serafin.check_range('year', 2000, 2100),
    serafin.check_required('account'),
    {'column': 'account', 'when': 'not ' ~ serafin.matches('account', '^[0-9]+$'),
     'reason': "'account ' || " ~ serafin.quoted('account_raw') ~ " || ' is not a PCG account number'"},
    serafin.check_required('amount'),
    serafin.check_parsed('amount', 'an amount'),
    serafin.check_known_establishment(),
] %}

select
    stg.finess_et_raw as finess_et,
    stg.year,
    stg.account,
    stg.label_raw as label,
    stg.amount,
    stg.section,
    -- a section that is neither a SERAFIN-PH code nor hors_champ is ignored (the account mapping
    -- applies) and reported as a warning
    case when stg.section_raw is not null and stg.section is null then stg.section_raw end as section_ignored,
    stg._file,
    stg._line,
    {{ serafin.reject_columns(checks) }}
from {{ ref('stg_landing__ledger') }} as stg
left join {{ serafin.known_establishments() }} as known_esms on known_esms.finess_et = stg.finess_et_raw
