{#- co_built_rate: persons with a plan row of the scope active in the year and co-built / persons with a plan
    row of the scope active in the year (not limited to the file active; reading 9). -#}
with active as (
    select g.scope, g.year, p.person_id, max(case when p.co_built then 1 else 0 end) as co_built
    from {{ ref('int_indicator_grid') }} as g
    inner join {{ ref('int_scope_plans') }} as p
        on p.scope = g.scope
        and p.start_date <= {{ serafin.year_end('g.year') }}
        and (p.end_date is null or p.end_date >= {{ serafin.year_start('g.year') }})
    group by g.scope, g.year, p.person_id
),

counts as (
    select scope, year, sum(co_built) as co_built, count(*) as persons
    from active
    group by scope, year
)

select g.scope, g.year, coalesce(c.co_built, 0) as numerator, coalesce(c.persons, 0) as denominator,
       coalesce(c.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join counts as c on c.scope = g.scope and c.year = g.year
