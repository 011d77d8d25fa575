{#- occupancy_rate: Σ over persons of their nights when they have a night stay in the scope that year, else
    their presence days / Σ over the scope's ESMS of authorized_places × days_open (reading 4). -#}
with nights as (
    select scope, year, person_id,
           sum({{ dbt.datediff('day_from', 'day_to', 'day') }} + 1) as nights
    from {{ ref('int_stay_islands') }}
    where kind = 'night'
    group by scope, year, person_id
),

presence as (
    select scope, year, person_id, count(*) as days
    from {{ ref('int_activity_dates') }}
    group by scope, year, person_id
),

units as (
    select
        coalesce(n.scope, p.scope) as scope,
        coalesce(n.year, p.year) as year,
        coalesce(n.person_id, p.person_id) as person_id,
        case when coalesce(n.nights, 0) > 0 then n.nights else coalesce(p.days, 0) end as units
    from nights as n
    full outer join presence as p on p.scope = n.scope and p.year = n.year and p.person_id = n.person_id
),

capacity as (
    select sc.scope, sum(e.authorized_places * e.days_open) as place_days
    from {{ ref('establishments') }} as e
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = e.finess_et
    group by sc.scope
),

occupied as (
    select scope, year, sum(units) as units, count(*) as persons
    from units
    where units > 0
    group by scope, year
)

select g.scope, g.year, coalesce(o.units, 0) as numerator, coalesce(c.place_days, 0) as denominator,
       coalesce(o.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join occupied as o on o.scope = g.scope and o.year = g.year
left join capacity as c on c.scope = g.scope
