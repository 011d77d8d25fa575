with source as (
    select * from {{ source('raw', 'plans') }}
)

select
    source.plan_id as plan_id_raw,
    source.person_id as person_id_raw,
    upper(source.finess_et) as finess_et_raw,
    source.partner_id as partner_id_raw,
    -- the planned prestation, official spelling
    source.prestation_code as prestation_code_raw,
    prestation.code as prestation_code,
    prestation.kind as prestation_code_kind,
    source.planned_hours_per_week as planned_hours_per_week_raw,
    {{ serafin.parse_decimal('source.planned_hours_per_week') }} as planned_hours_per_week,
    -- dates
    source.start_date as start_date_raw,
    {{ serafin.parse_date('source.start_date') }} as start_date,
    source.end_date as end_date_raw,
    {{ serafin.parse_date('source.end_date') }} as end_date,
    source.signed_on as signed_on_raw,
    {{ serafin.parse_date('source.signed_on') }} as signed_on,
    source.reviewed_on as reviewed_on_raw,
    {{ serafin.parse_date('source.reviewed_on') }} as reviewed_on,
    -- needs answered, '|'-separated 1.x codes
    source.need_codes as need_codes_raw,
    replace(source.need_codes, ' ', '') as need_codes,
    -- flags
    source.is_pag as is_pag_raw,
    {{ serafin.parse_bool('source.is_pag') }} as is_pag,
    source.co_built as co_built_raw,
    {{ serafin.parse_bool('source.co_built') }} as co_built,
    source._file,
    source._line
from source
{{ serafin.code_join('prestation', 'source.prestation_code') }}
