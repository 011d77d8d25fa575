{#- The valid rows of landing table plans: canonical names, typed values, official codes, source file and line. -#}
select
    plan_id,
    person_id,
    finess_et,
    partner_id,
    prestation_code,
    planned_hours_per_week,
    start_date,
    end_date,
    need_codes,
    is_pag,
    co_built,
    signed_on,
    reviewed_on,
    _file,
    _line
from {{ ref('int_plans__checked') }}
where reject_reason is null
