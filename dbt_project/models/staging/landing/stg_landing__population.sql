with source as (
    select * from {{ source('raw', 'population') }}
)

select
    upper(trim(department)) as department_raw,
    age_band as age_band_raw,
    -- '0-19', '20 à 59 ans', '60 ans et plus': the first number is the lower bound, the second the upper one
    cast(nullif(regexp_extract(age_band, '^[^0-9]*([0-9]+)', 1), '') as integer) as age_min,
    case
        when {{ serafin.matches('age_band', '^[^0-9]*[0-9]+[^0-9]+[0-9]+') }}
            then cast(regexp_extract(age_band, '^[^0-9]*[0-9]+[^0-9]+([0-9]+)', 1) as integer)
        when {{ serafin.matches('age_band', '^[^0-9]*[0-9]+') }} then 200
    end as age_max,
    population as population_raw,
    {{ serafin.parse_int('population') }} as population,
    year as year_raw,
    {{ serafin.parse_int('year') }} as year,
    _file,
    _line
from source
