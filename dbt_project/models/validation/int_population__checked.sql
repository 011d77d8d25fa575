{#- Population by department, age band and year (optional landing table population): each row with the first
    check it fails (none: it goes to core). -#}
{% set checks = [
    serafin.check_required('department'),
    serafin.check_department('department'),
    serafin.check_required('age_band'),
    {'column': 'age_band', 'when': 'age_min is null',
     'reason': "'age_band ' || " ~ serafin.quoted('age_band_raw') ~ " || ' is not an age band (e.g. 0-19, 20 à 59 ans, 60 ans et plus)'"},
    serafin.check_required('population'),
    serafin.check_parsed('population', 'a whole number'),
    serafin.check_range('population', 0, 100000000),
    serafin.check_required('year'),
    serafin.check_parsed('year', 'a year'),
    serafin.check_range('year', 2000, 2100),
] %}

select
    department_raw as department,
    age_band_raw as age_band,
    age_min,
    age_max,
    population,
    year,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from {{ ref('stg_landing__population') }}
