{#- Step 12. One row per ESMS × year × professional of the staff table or with recorded time: his paid hours
    P_k = fte × annual_hours_per_fte (nomenclatures/cost_method_parameters.csv; NULL when the FTE is not given or
    the professional is absent from the staff table: partners, volunteers) and his recorded hours R_k (each action
    once, int_professional_time). -#}
with params as (
    select max(case when parameter = 'annual_hours_per_fte' then value end) as annual_hours_per_fte
    from {{ ref('cost_method_parameters') }}
),

staff as (
    select finess_et, year, professional_id, profession, cast(fte as double) as fte,
           cast(annual_cost as double) as annual_cost
    from {{ ref('staff') }}
    where {{ serafin.selected_years('year') }}
),

recorded as (
    select finess_et, year, professional_id, sum(minutes) / 60.0 as recorded_hours
    from {{ ref('int_professional_time') }}
    group by finess_et, year, professional_id
)

select
    coalesce(s.finess_et, r.finess_et) as finess_et,
    coalesce(s.year, r.year) as year,
    coalesce(s.professional_id, r.professional_id) as professional_id,
    s.profession,
    s.professional_id is not null as in_staff_table,
    s.fte,
    s.annual_cost,
    s.fte * p.annual_hours_per_fte as paid_hours,
    coalesce(r.recorded_hours, 0) as recorded_hours
from staff as s
full outer join recorded as r
    on r.finess_et = s.finess_et and r.year = s.year and r.professional_id = s.professional_id
cross join params as p
