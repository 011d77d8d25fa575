with source as (
    select * from {{ source('raw', 'persons') }}
),

renamed as (
    select
        person_id as person_id_raw,
        -- birth: only the year is ever stored (the ingestion keeps the year of a date of birth)
        coalesce(birth_year, birth_date) as birth_year_raw,
        {{ serafin.parse_int('coalesce(birth_year, birth_date)') }} as birth_year,
        sex as sex_raw,
        sex_enum.value as sex,
        main_disability as main_disability_raw,
        {{ serafin.fold('main_disability') }} as main_disability,
        upper(department) as department_raw,
        _file,
        _line
    from source
    {{ serafin.enum_join('sex', 'source.sex', 'sex_enum') }}
)

select renamed.*, dis.code as main_disability_known
from renamed
left join {{ ref('disabilities') }} as dis on dis.code = renamed.main_disability
