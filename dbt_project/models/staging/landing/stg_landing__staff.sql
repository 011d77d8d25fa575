{#- The staff rows of staff.csv (raw.staff) and those the monthly DSN gives (stg_dsn__staff), side by side: each
    value as written and parsed; `source` says which (staff or dsn). -#}
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
    source._line,
    'staff' as source,
    cast(null as {{ dbt.type_string() }}) as siret,
    cast(null as {{ dbt.type_string() }}) as siret_candidates,
    cast(null as {{ dbt.type_string() }}) as pcs_ese,
    cast(null as {{ dbt.type_string() }}) as profession_match
from source
left join {{ ref('professions') }} as prof
    on prof.profession = {{ serafin.fold('source.profession') }}

union all

select
    professional_id_raw, finess_et_raw, year_raw, year, profession_raw, profession, fte_raw, fte, annual_cost_raw,
    annual_cost, _file, _line, source, siret, siret_candidates, pcs_ese, profession_match
from {{ ref('stg_dsn__staff') }}
