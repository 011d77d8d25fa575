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
        case
            when upper(sex) in ('F', 'FEMME', '2') then 'F'
            when upper(sex) in ('M', 'H', 'HOMME', '1') then 'M'
            when upper(sex) in ('U', 'I', 'INCONNU', 'NON PRECISE') then 'U'
        end as sex,
        main_disability as main_disability_raw,
        {{ serafin.fold('main_disability') }} as main_disability,
        upper(department) as department_raw,
        _file,
        _line
    from source
)

select renamed.*, dis.code as main_disability_known
from renamed
left join {{ ref('disabilities') }} as dis on dis.code = renamed.main_disability
