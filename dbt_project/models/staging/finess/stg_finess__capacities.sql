{#- The FINESS feed's capacity lines as given (raw.finess_capacities), typed: the activity (activité sociale
    régulée, mode de fonctionnement, public), whether it is in force (etat A), its dates, and the capacity's status
    (08 installée constatée, 09 autorisée: the ANS TRE_R330 codes FINESS uses) and number (unit 02: places). -#}
with source as (
    select * from {{ source('raw', 'finess_capacities') }}
)

select
    upper(trim(finess_et)) as finess_et_raw,
    activity_id,
    case upper(trim(activity_state)) when 'A' then true when 'I' then false end as is_active,
    nature,
    activity_code,
    operating_mode,
    public,
    {{ serafin.parse_date('start_date') }} as start_date,
    {{ serafin.parse_date('end_date') }} as end_date,
    trim(capacity_status) as capacity_status,
    case trim(capacity_status) when '09' then 'autorisee' when '08' then 'installee' end as capacity_kind,
    quantity as quantity_raw,
    {{ serafin.parse_int('quantity') }} as quantity,
    trim(unit) as unit,
    coalesce(funding_mode, habilitation, housing_type, gender) is not null as is_breakdown,
    _file,
    _line
from source
