{#- Needs coverage per scope (indicators.md, readings 5 to 7): one row per scope, year, person of the file
    active and need of the person's latest assessment; covered when the level is at least 1 and the person
    received in the year, in the scope, at least one direct hour on a prestation aligned with the need
    (nomenclatures/needs_to_prestations.csv: a code covers itself and the codes below it); hours are the full
    durations of those pairs, each pair once; providers the ESMS and partners that delivered them. -#}
with aligned as (
    select distinct p.scope, p.year, p.person_id, m.need_code, p.finess_et, p.event_id, p.professional_id,
           p.hours, p.provider
    from {{ ref('int_person_direct_pairs') }} as p
    inner join {{ ref('needs_to_prestations') }} as m
        on p.prestation_code = m.prestation_code
        or substr(p.prestation_code, 1, length(m.prestation_code) + 1) = m.prestation_code || '.'
),

hours as (
    select scope, year, person_id, need_code, sum(hours) as hours
    from aligned
    group by scope, year, person_id, need_code
),

providers as (
    select scope, year, person_id, need_code,
           {{ dbt.listagg('provider', "', '", 'order by provider') }} as providers
    from (select distinct scope, year, person_id, need_code, provider from aligned) as distinct_providers
    group by scope, year, person_id, need_code
)

select
    fa.scope,
    fa.year,
    fa.person_id,
    la.need_code,
    la.level,
    la.assessed_on,
    la.level >= 1 and coalesce(h.hours, 0) > 0 as covered,
    coalesce(h.hours, 0) as hours,
    pr.providers
from {{ ref('int_file_active') }} as fa
inner join {{ ref('int_latest_assessment') }} as la on la.person_id = fa.person_id and la.year = fa.year
left join hours as h
    on h.scope = fa.scope and h.year = fa.year and h.person_id = fa.person_id and h.need_code = la.need_code
left join providers as pr
    on pr.scope = fa.scope and pr.year = fa.year and pr.person_id = fa.person_id and pr.need_code = la.need_code
