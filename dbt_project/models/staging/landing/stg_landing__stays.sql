with source as (
    select * from {{ source('raw', 'stays') }}
)

select
    stay_id as stay_id_raw,
    person_id as person_id_raw,
    upper(finess_et) as finess_et_raw,
    -- dates
    start_date as start_date_raw,
    {{ serafin.parse_date('start_date') }} as start_date,
    end_date as end_date_raw,
    {{ serafin.parse_date('end_date') }} as end_date,
    -- modality, normalised: 'Semi-internat' -> semi_internat
    modality as modality_raw,
    modality_enum.value as modality,
    exit_reason as exit_reason_raw,
    _file,
    _line
from source
{{ serafin.enum_join('modality', 'source.modality', 'modality_enum') }}
