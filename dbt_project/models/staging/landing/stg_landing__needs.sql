with source as (
    select * from {{ source('raw', 'needs') }}
)

select
    source.person_id as person_id_raw,
    source.assessed_on as assessed_on_raw,
    {{ serafin.parse_date('source.assessed_on') }} as assessed_on,
    -- the need code, official spelling (aliases resolved)
    source.need_code as need_code_raw,
    need.code as need_code,
    need.kind as need_code_kind,
    source.level as level_raw,
    coalesce({{ serafin.parse_int('source.level') }}, case when source.level is null then 1 end) as level,
    source.source as source_raw,
    source_enum.value as source,
    source._file,
    source._line
from source
{{ serafin.enum_join('assessment_source', 'source.source', 'source_enum') }}
{{ serafin.code_join('need', 'source.need_code') }}
