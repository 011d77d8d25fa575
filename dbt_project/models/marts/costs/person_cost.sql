{#- One row per ESMS × year × person (pseudonymised): direct cost of the prestations received,
    person-attached logistics (lodging, laundry by nights; meals, transport by presence days), total.
    Only ESMS-years with a ledger: without charges there is no cost to give a person. -#}
with direct as (
    select finess_et, year, person_id, {{ serafin.exact_sum('direct_cost') }} as direct_cost, sum(hours) as direct_hours
    from {{ ref('int_person_direct_cost') }}
    group by finess_et, year, person_id
),

logistics as (
    select finess_et, year, person_id, {{ serafin.exact_sum('logistics_cost') }} as logistics_cost
    from {{ ref('int_person_logistics_cost') }}
    group by finess_et, year, person_id
)

select
    coalesce(d.finess_et, l.finess_et) as finess_et,
    coalesce(d.year, l.year) as year,
    coalesce(d.person_id, l.person_id) as person_id,
    coalesce(d.direct_hours, 0) as direct_hours,
    coalesce(d.direct_cost, 0) as direct_cost,
    coalesce(l.logistics_cost, 0) as logistics_cost,
    coalesce(d.direct_cost, 0) + coalesce(l.logistics_cost, 0) as total_cost
from direct as d
full outer join logistics as l
    on l.finess_et = d.finess_et and l.year = d.year and l.person_id = d.person_id
inner join {{ ref('int_esms_years') }} as ey
    on ey.finess_et = coalesce(d.finess_et, l.finess_et) and ey.year = coalesce(d.year, l.year)
where ey.has_ledger
