{{ config(tags=['scenario']) }}
{#- The rows of every scenario (scenarios.md, readings): every establishment × the scenario's years (given in
    the file, else the years with a ledger row: int_funding_scenario_years); with the ESMS's category and
    authorised places. -#}
with ledger_years as (
    select distinct year from {{ ref('ledger') }} where {{ serafin.selected_years('year') }}
),

scenario_years as (
    select scenario, year from {{ ref('int_funding_scenario_years') }} where year is not null
    union all
    select d.scenario, l.year
    from {{ ref('int_funding_scenario_years') }} as d
    cross join ledger_years as l
    where d.year is null
)

select
    sy.scenario,
    e.finess_et,
    sy.year,
    e.category,
    cast(coalesce(e.authorized_places, 0) as double) as authorized_places
from scenario_years as sy
cross join {{ ref('establishments') }} as e
