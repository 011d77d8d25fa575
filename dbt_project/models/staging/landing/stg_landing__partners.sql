with source as (
    select * from {{ source('raw', 'partners') }}
)

select
    partner_id as partner_id_raw,
    name as name_raw,
    kind as kind_raw,
    kind_enum.value as kind,
    upper(finess) as finess_raw,
    upper(department) as department_raw,
    _file,
    _line
from source
{{ serafin.enum_join('partner_kind', 'source.kind', 'kind_enum') }}
