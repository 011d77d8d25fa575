{% set checks = [
    serafin.check_required('plan_id'),
    serafin.check_required('person_id'),
    {'column': 'finess_et', 'when': 'finess_et_raw is null and partner_id_raw is null',
     'reason': "'a plan row needs a finess_et or a partner_id; both are empty'"},
    serafin.check_finess('finess_et'),
    serafin.check_required('prestation_code'),
    serafin.check_code('prestation_code', ['prestation_directe'], 'a 2.x direct prestation code'),
    serafin.check_parsed('planned_hours_per_week', 'a number of hours'),
    serafin.check_range('planned_hours_per_week', 0, 168),
    serafin.check_required('start_date'),
    serafin.check_date('start_date'),
    serafin.check_date('end_date'),
    serafin.check_date_order('start_date', 'end_date'),
    serafin.check_date('signed_on'),
    serafin.check_date('reviewed_on'),
    {'column': 'need_codes', 'when': "need_codes is not null and not " ~ serafin.matches('need_codes', '^1([.][0-9]+)*([|]1([.][0-9]+)*)*$'),
     'reason': "'need_codes ' || " ~ serafin.quoted('need_codes_raw') ~ " || ' must be 1.x need codes separated by |'"},
    serafin.check_parsed('is_pag', 'a yes/no value (1/0, oui/non, true/false, x)'),
    serafin.check_parsed('co_built', 'a yes/no value (1/0, oui/non, true/false, x)'),
    {'column': 'finess_et', 'when': 'finess_et_raw is not null and known_esms.finess_et is null',
     'reason': "'finess_et ' || " ~ serafin.quoted('finess_et_raw') ~ " || ' is not in establishments'"},
    serafin.check_duplicate('plan_id, prestation_code, provider'),
] %}

with staged as (
    select
        stg.*,
        {{ serafin.duplicate_window(['stg.plan_id_raw', 'stg.prestation_code', 'coalesce(stg.finess_et_raw, stg.partner_id_raw)']) }}
    from {{ ref('stg_landing__plans') }} as stg
)

select
    staged.plan_id_raw as plan_id,
    staged.person_id_raw as person_id,
    staged.finess_et_raw as finess_et,
    staged.partner_id_raw as partner_id,
    staged.prestation_code,
    staged.planned_hours_per_week,
    staged.start_date,
    staged.end_date,
    staged.need_codes,
    coalesce(staged.is_pag, false) as is_pag,
    staged.co_built,
    staged.signed_on,
    staged.reviewed_on,
    staged._file,
    staged._line,
    {{ serafin.reject_columns(checks) }}
from staged
left join {{ serafin.known_establishments() }} as known_esms on known_esms.finess_et = staged.finess_et_raw
