with source as (
    select * from {{ source('raw', 'staff') }}
)

select
    source.professional_id as professional_id_raw,
    upper(source.finess_et) as finess_et_raw,
    source.year as year_raw,
    {{ serafin.parse_int('source.year') }} as year,
    source.profession as profession_raw,
    prof.profession,
    source.fte as fte_raw,
    {{ serafin.parse_decimal('source.fte') }} as fte,
    source.annual_cost as annual_cost_raw,
    {{ serafin.parse_decimal('source.annual_cost') }} as annual_cost,
    source._file,
    source._line
from source
left join {{ ref('professions') }} as prof
    on prof.profession = {{ serafin.fold('source.profession') }}
