with source as (
    select * from {{ source('raw', 'conventions') }}
)

select
    convention_id as convention_id_raw,
    partner_id as partner_id_raw,
    upper(finess_et) as finess_et_raw,
    start_date as start_date_raw,
    {{ serafin.parse_date('start_date') }} as start_date,
    end_date as end_date_raw,
    {{ serafin.parse_date('end_date') }} as end_date,
    kind as kind_raw,
    kind_enum.value as kind,
    prestation_codes as prestation_codes_raw,
    replace(prestation_codes, ' ', '') as prestation_codes,
    _file,
    _line
from source
{{ serafin.enum_join('convention_kind', 'source.kind', 'kind_enum') }}
