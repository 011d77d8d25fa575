{#- One row per ESMS × year × section whose cost reaches no person, with the reason:
    no_direct_cost (overhead with no direct section to carry it), no_person_received (a direct
    prestation nobody received), no_units (logistics with no nights nor presence days). -#}
with totals as (
    select finess_et, year, sum(case when section_kind = 'direct' then cost else 0 end) as direct_total
    from {{ ref('int_section_costs') }}
    group by finess_et, year
),

received as (
    select distinct finess_et, year, prestation_code from {{ ref('int_person_direct_cost') }}
),

spread as (
    select distinct finess_et, year, section from {{ ref('int_person_logistics_cost') }}
),

unallocated as (
    select sc.finess_et, sc.year, sc.section, sc.cost as amount, 'no_direct_cost' as reason
    from {{ ref('int_section_costs') }} as sc
    inner join totals as t on t.finess_et = sc.finess_et and t.year = sc.year
    where sc.section_kind = 'overhead' and t.direct_total = 0

    union all

    select f.finess_et, f.year, f.prestation_code, f.full_cost, 'no_person_received'
    from {{ ref('int_direct_full_cost') }} as f
    left join received as r
        on r.finess_et = f.finess_et and r.year = f.year and r.prestation_code = f.prestation_code
    where r.prestation_code is null

    union all

    select sc.finess_et, sc.year, sc.section, sc.cost, 'no_units'
    from {{ ref('int_section_costs') }} as sc
    left join spread as s on s.finess_et = sc.finess_et and s.year = sc.year and s.section = sc.section
    where sc.section_kind = 'logistics' and s.section is null
)

select finess_et, year, section, amount, reason
from unallocated
where amount <> 0
