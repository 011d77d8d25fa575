{#- Each ESMS placed among the others, as finance directors and the ARS compare structures: per ESMS, year and
    measure (cost per place and cost per person, the indicators of the same ids for the ESMS's own scope; the
    cost per hour of each direct prestation, marts.cost_per_prestation), its value, the peers' quartiles
    (continuous percentiles) and its quartile (1 = the least costly quarter: value ≤ Q1; 4: above Q3). The peers
    are the ESMS of its category that year; when fewer than var benchmark_min_peers (4) have the measure, a
    quartile means nothing there and the peers are every ESMS of the warehouse with the measure (peer_group
    says which), as they are for an ESMS without category. -#}
with measures as (
    select i.scope as finess_et, i.year, i.indicator_id as measure, cast(null as {{ dbt.type_string() }}) as prestation_code,
           i.value
    from {{ ref('indicators') }} as i
    inner join {{ ref('establishments') }} as e on e.finess_et = i.scope
    where i.indicator_id in ('cost_per_place', 'cost_per_person') and i.value is not null
    union all
    select finess_et, year, 'cost_per_hour', prestation_code, cost_per_hour
    from {{ ref('cost_per_prestation') }}
    where cost_per_hour is not null
),

placed as (
    select m.*, e.category,
           -- an ESMS without category has no category peers: it is placed among every ESMS
           case when e.category is not null
                then count(*) over (partition by e.category, m.year, m.measure, m.prestation_code) end as category_peers
    from measures as m
    inner join {{ ref('establishments') }} as e on e.finess_et = m.finess_et
),

grouped as (
    select *,
           case when category_peers >= {{ var('benchmark_min_peers') }} then category else 'all' end as peer_group
    from placed
),

quartiles as (
    select year, measure, prestation_code, peer_group,
           count(*) as peers,
           {{ serafin.percentile_cont('value', 0.25) }} as q1,
           {{ serafin.percentile_cont('value', 0.5) }} as median,
           {{ serafin.percentile_cont('value', 0.75) }} as q3
    from (
        select year, measure, prestation_code, category as peer_group, value from grouped where peer_group <> 'all'
        union all
        select year, measure, prestation_code, 'all', value from placed
    ) as v
    group by year, measure, prestation_code, peer_group
)

select
    g.finess_et,
    g.year,
    g.category,
    g.measure,
    g.prestation_code,
    c.label as prestation_label,
    g.value,
    g.peer_group,
    q.peers,
    q.q1,
    q.median,
    q.q3,
    case when g.value <= q.q1 then 1 when g.value <= q.median then 2 when g.value <= q.q3 then 3 else 4 end
        as quartile
from grouped as g
inner join quartiles as q
    on q.year = g.year and q.measure = g.measure and q.peer_group = g.peer_group
    and (q.prestation_code = g.prestation_code or (q.prestation_code is null and g.prestation_code is null))
left join {{ ref('serafin_codes') }} as c on c.code = g.prestation_code
