{#- rupture_rate: persons of the file active with a rupture (a gap of more than var rupture_gap_days, 60,
    between two consecutive dates of realised activity in the scope, every day of it inside a stay of the
    person there: intermediate/indicators/int_activity_gaps) / persons of the file active with at least one
    realised activity in the scope that year (reading 11). -#}
with active as (
    select distinct d.scope, d.year, d.person_id
    from {{ ref('int_activity_dates') }} as d
    inner join {{ ref('int_file_active') }} as fa
        on fa.scope = d.scope and fa.year = d.year and fa.person_id = d.person_id
),

ruptures as (
    select distinct scope, year, person_id from {{ ref('int_activity_gaps') }} where is_rupture
),

counts as (
    select a.scope, a.year, count(r.person_id) as ruptures, count(*) as persons
    from active as a
    left join ruptures as r on r.scope = a.scope and r.year = a.year and r.person_id = a.person_id
    group by a.scope, a.year
)

select g.scope, g.year, coalesce(c.ruptures, 0) as numerator, coalesce(c.persons, 0) as denominator,
       coalesce(c.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join counts as c on c.scope = g.scope and c.year = g.year
