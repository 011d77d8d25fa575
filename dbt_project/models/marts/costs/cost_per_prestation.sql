{#- One row per ESMS × year × direct prestation (2.x, at the depth recorded): hours, persons who
    received it, own cost, overhead share, full cost and cost per professional hour. In a year with
    activity but no ledger the hours are listed and the costs are null (unknown, not zero).
    Step 12: beside the cost per recorded hour, the estimated hours (paid hours spread with the cost key,
    int_estimated_hours) and the cost per estimated hour. -#}
with persons as (
    select finess_et, year, prestation_code, cast(count(distinct person_id) as bigint) as persons
    from {{ ref('int_person_hours') }}
    group by finess_et, year, prestation_code
)

select
    f.finess_et,
    f.year,
    f.prestation_code,
    c.label as prestation_label,
    f.professional_hours,
    coalesce(p.persons, 0) as persons,
    case when ey.has_ledger then f.direct_cost end as direct_cost,
    case when ey.has_ledger then f.overhead_cost end as overhead_cost,
    case when ey.has_ledger then f.full_cost end as full_cost,
    case when ey.has_ledger then f.cost_per_hour end as cost_per_hour,
    coalesce(eh.estimated_hours, 0) as estimated_hours,
    case when ey.has_ledger then f.full_cost / nullif(eh.estimated_hours, 0) end as cost_per_estimated_hour
from {{ ref('int_direct_full_cost') }} as f
inner join {{ ref('int_esms_years') }} as ey on ey.finess_et = f.finess_et and ey.year = f.year
left join persons as p
    on p.finess_et = f.finess_et and p.year = f.year and p.prestation_code = f.prestation_code
left join {{ ref('int_estimated_hours') }} as eh
    on eh.finess_et = f.finess_et and eh.year = f.year and eh.prestation_code = f.prestation_code
left join {{ ref('serafin_codes') }} as c on c.code = f.prestation_code
