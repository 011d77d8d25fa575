{#- file_active: persons with at least one stay at an ESMS of the scope overlapping the year (a count). -#}
select g.scope, g.year, count(fa.person_id) as numerator, 1 as denominator, count(fa.person_id) as persons
from {{ ref('int_indicator_grid') }} as g
left join {{ ref('int_file_active') }} as fa on fa.scope = g.scope and fa.year = g.year
group by g.scope, g.year
