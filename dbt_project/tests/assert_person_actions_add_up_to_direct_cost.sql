{{ config(meta={"dagster": {"ref": {"name": "person_action_cost"}}}) }}
{#- Cost-method step 11: a person's shares of the actions of the year add up to the person's direct cost
    (step 8), to the cent. -#}
with shares as (
    select finess_et, year, person_id, sum(cost) as shares_cost
    from {{ ref('person_action_cost') }}
    group by finess_et, year, person_id
)

select pc.finess_et, pc.year, pc.person_id, pc.direct_cost, s.shares_cost
from {{ ref('person_cost') }} as pc
left join shares as s on s.finess_et = pc.finess_et and s.year = pc.year and s.person_id = pc.person_id
where abs(pc.direct_cost - coalesce(s.shares_cost, 0)) > 0.01
