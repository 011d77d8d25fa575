{{ config(meta={"dagster": {"ref": {"name": "action_cost"}}}) }}
{#- Cost-method step 11: the actions on a direct prestation add up to its full cost (step 6), to the cent. -#}
with actions as (
    select finess_et, year, prestation_code, sum(full_cost) as actions_cost
    from {{ ref('action_cost') }}
    where full_cost is not null
    group by finess_et, year, prestation_code
)

select p.finess_et, p.year, p.prestation_code, p.full_cost, a.actions_cost
from {{ ref('cost_per_prestation') }} as p
left join actions as a
    on a.finess_et = p.finess_et and a.year = p.year and a.prestation_code = p.prestation_code
where p.full_cost is not null
  and p.professional_hours > 0
  and abs(p.full_cost - coalesce(a.actions_cost, 0)) > 0.01
