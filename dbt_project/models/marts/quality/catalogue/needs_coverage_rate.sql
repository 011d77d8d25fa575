{#- needs_coverage_rate: (person, need) pairs covered / (person, need) pairs of level ≥ 1 in the latest
    assessment, for persons of the file active (intermediate/indicators/int_needs_coverage). -#}
with pairs as (
    select scope, year,
           sum(case when covered then 1 else 0 end) as covered,
           sum(case when level >= 1 then 1 else 0 end) as needs,
           count(distinct case when level >= 1 then person_id end) as persons
    from {{ ref('int_needs_coverage') }}
    group by scope, year
)

select g.scope, g.year, coalesce(p.covered, 0) as numerator, coalesce(p.needs, 0) as denominator,
       coalesce(p.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join pairs as p on p.scope = g.scope and p.year = g.year
