{{ config(meta={"dagster": {"ref": {"name": "funding_scenario"}}}, tags=['scenario']) }}
{#- scenarios.md: the amounts of a scenario's rules add up to its scenario_funding, to the cent. -#}
with detail as (
    select scenario, finess_et, year, sum(amount) as amount
    from {{ ref('funding_scenario_detail') }}
    group by scenario, finess_et, year
)

select f.scenario, f.finess_et, f.year, f.scenario_funding, d.amount
from {{ ref('funding_scenario') }} as f
left join detail as d on d.scenario = f.scenario and d.finess_et = f.finess_et and d.year = f.year
where abs(f.scenario_funding - coalesce(d.amount, 0)) > 0.01
