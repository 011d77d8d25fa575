{#- Step 6-7. One row per ESMS × year × direct prestation: its own cost C(c), its share of the
    overhead O_total in proportion to C(c) among direct sections, full cost F(c), professional hours H(c) and
    cost per hour F(c) / H(c). -#}
with totals as (
    select
        finess_et, year,
        sum(case when section_kind = 'direct' then cost else 0 end) as direct_total,
        sum(case when section_kind = 'overhead' then cost else 0 end) as overhead_total
    from {{ ref('int_section_costs') }}
    group by finess_et, year
),

hours as (
    select finess_et, year, prestation_code, sum(minutes) / 60.0 as professional_hours
    from {{ ref('int_professional_time') }}
    group by finess_et, year, prestation_code
)

select
    sc.finess_et,
    sc.year,
    sc.section as prestation_code,
    sc.cost as direct_cost,
    case when t.direct_total <> 0 then t.overhead_total * sc.cost / t.direct_total else 0 end as overhead_cost,
    sc.cost + case when t.direct_total <> 0 then t.overhead_total * sc.cost / t.direct_total else 0 end as full_cost,
    coalesce(h.professional_hours, 0) as professional_hours,
    -- step 7: the cost per hour, F(c) / H(c) (NULL without hours)
    (sc.cost + case when t.direct_total <> 0 then t.overhead_total * sc.cost / t.direct_total else 0 end)
        / nullif(h.professional_hours, 0) as cost_per_hour
from {{ ref('int_section_costs') }} as sc
inner join totals as t on t.finess_et = sc.finess_et and t.year = sc.year
left join hours as h on h.finess_et = sc.finess_et and h.year = sc.year and h.prestation_code = sc.section
where sc.section_kind = 'direct'
