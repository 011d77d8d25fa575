{#- rupture_rate: persons of the file active with a gap of more than var rupture_gap_days (60) between two
    consecutive dates of realised activity in the scope, every day of it inside a stay of the person there
    (open stays to 31 December) / persons of the file active with at least one realised activity in the
    scope that year (reading 11). -#}
with dates as (
    select d.scope, d.year, d.person_id, d.activity_date,
           lag(d.activity_date) over (partition by d.scope, d.year, d.person_id order by d.activity_date) as previous
    from {{ ref('int_activity_dates') }} as d
    inner join {{ ref('int_file_active') }} as fa
        on fa.scope = d.scope and fa.year = d.year and fa.person_id = d.person_id
),

ruptures as (
    select distinct d.scope, d.year, d.person_id
    from dates as d
    inner join {{ ref('int_stay_islands') }} as i
        on i.scope = d.scope and i.year = d.year and i.person_id = d.person_id and i.kind = 'any'
        and i.day_from <= d.previous and i.day_to >= d.activity_date
    where {{ dbt.datediff('d.previous', 'd.activity_date', 'day') }} > {{ var('rupture_gap_days') }}
),

counts as (
    select d.scope, d.year, count(distinct r.person_id) as ruptures, count(distinct d.person_id) as persons
    from dates as d
    left join ruptures as r on r.scope = d.scope and r.year = d.year and r.person_id = d.person_id
    group by d.scope, d.year
)

select g.scope, g.year, coalesce(c.ruptures, 0) as numerator, coalesce(c.persons, 0) as denominator,
       coalesce(c.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join counts as c on c.scope = g.scope and c.year = g.year
