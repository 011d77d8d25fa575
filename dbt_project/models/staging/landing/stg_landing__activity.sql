with source as (
    select * from {{ source('raw', 'activity') }}
)

select
    -- identifiers
    source.event_id as event_id_raw,
    source.person_id as person_id_raw,
    upper(source.finess_et) as finess_et_raw,
    source.professional_id as professional_id_raw,
    source.partner_id as partner_id_raw,
    -- the prestation, official spelling
    source.prestation_code as prestation_code_raw,
    prestation.code as prestation_code,
    prestation.kind as prestation_code_kind,
    source.need_code as need_code_raw,
    need.code as need_code,
    need.kind as need_code_kind,
    -- time
    source.started_at as started_at_raw,
    {{ serafin.parse_timestamp('source.started_at') }} as started_at,
    source.ended_at as ended_at_raw,
    {{ serafin.parse_timestamp('source.ended_at') }} as ended_at,
    source.duration_min as duration_min_raw,
    {{ serafin.parse_decimal('source.duration_min') }} as duration_min_given,
    -- setting and status, normalised
    source.setting as setting_raw,
    setting_enum.value as setting,
    source.status as status_raw,
    -- no status: the event took place
    case when source.status is null then 'realise' else status_enum.value end as status,
    source.outside_plan as outside_plan_raw,
    {{ serafin.parse_bool('source.outside_plan') }} as outside_plan,
    source._file,
    source._line
from source
{{ serafin.enum_join('setting', 'source.setting', 'setting_enum') }}
{{ serafin.enum_join('status', 'source.status', 'status_enum') }}
{{ serafin.code_join('prestation', 'source.prestation_code') }}
{{ serafin.code_join('need', 'source.need_code') }}
