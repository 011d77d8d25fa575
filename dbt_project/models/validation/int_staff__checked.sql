{% set checks = [
    serafin.check_required('professional_id'),
    {'column': 'finess_et', 'value': 'siret', 'when': "source = 'dsn' and finess_et_raw is null and siret_candidates is not null",
     'reason': "'the DSN workplace SIRET ' || " ~ serafin.quoted('siret') ~ " || ' is the SIRET of several ESMS (' || siret_candidates || '): place it under sirets: in comptabilite.yaml'"},
    {'column': 'finess_et', 'value': 'siret', 'when': "source = 'dsn' and finess_et_raw is null",
     'reason': "'the DSN workplace SIRET ' || " ~ serafin.quoted('siret') ~ " || ' is placed on no ESMS: give it as the siret of its establishment (establishments), or under sirets: in comptabilite.yaml'"},
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('year'),
    serafin.check_parsed('year', 'a year'),
    serafin.check_range('year', 2000, 2100),
    serafin.check_required('profession'),
    {'column': 'profession', 'when': 'profession is null',
     'reason': "'profession ' || " ~ serafin.quoted('profession_raw') ~ " || ' is not in nomenclatures/professions.csv'"},
    serafin.check_parsed('fte', 'a number'),
    serafin.check_range('fte', 0, 10),
    serafin.check_required('annual_cost'),
    serafin.check_parsed('annual_cost', 'an amount'),
    serafin.check_range('annual_cost', 0, 10000000),
    serafin.check_known_establishment(),
    serafin.check_duplicate('professional_id, finess_et, year'),
] %}

with staged as (
    select stg.*, {{ serafin.duplicate_window(['stg.professional_id_raw', 'stg.finess_et_raw', 'stg.year']) }}
    from {{ ref('stg_landing__staff') }} as stg
)

select
    staged.professional_id_raw as professional_id,
    staged.finess_et_raw as finess_et,
    staged.year,
    staged.profession,
    staged.fte,
    staged.annual_cost,
    staged.source,
    staged.profession_raw,
    staged.pcs_ese,
    staged.profession_match,
    staged._file,
    staged._line,
    {{ serafin.reject_columns(checks) }}
from staged
left join {{ serafin.known_establishments() }} as known_esms on known_esms.finess_et = staged.finess_et_raw
