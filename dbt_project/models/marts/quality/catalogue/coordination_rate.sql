{#- coordination_rate: persons with at least two providers in the year (distinct partner, else ESMS, of their
    realised direct activity in the scope) who received coordination (var coordination_code, 2.4.1, or a code
    below it) / persons with at least two providers (reading 10). -#}
{#- Each person's providers per ESMS first (a few rows a person), then widened to the scopes: grouping the direct
    pairs by scope repeated every pair once per scope that holds its ESMS (1.2 s against 0.5 s at 5 M rows). -#}
with providers as (
    select
        p.year, p.person_id, p.finess_et, p.provider,
        max(case when p.prestation_code = '{{ var("coordination_code") }}'
                   or substr(p.prestation_code, 1, {{ var("coordination_code") | length + 1 }}) = '{{ var("coordination_code") }}.'
                 then 1 else 0 end) as coordinated
    from {{ ref('int_person_direct_pairs') }} as p
    group by p.year, p.person_id, p.finess_et, p.provider
),

per_person as (
    select
        sc.scope, p.year, p.person_id,
        count(distinct p.provider) as providers,
        max(p.coordinated) as coordinated
    from providers as p
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et
    group by sc.scope, p.year, p.person_id
),

counts as (
    select scope, year, sum(coordinated) as coordinated, count(*) as persons
    from per_person
    where providers >= 2
    group by scope, year
)

select g.scope, g.year, coalesce(c.coordinated, 0) as numerator, coalesce(c.persons, 0) as denominator,
       coalesce(c.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join counts as c on c.scope = g.scope and c.year = g.year
