{#- The valid rows of landing table population: inhabitants per department, age band (its bounds) and year. -#}
select department, age_band, age_min, age_max, population, year, _file, _line
from {{ ref('int_population__checked') }}
where reject_reason is null
