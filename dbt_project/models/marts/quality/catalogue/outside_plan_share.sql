{#- outside_plan_share: realised events (ESMS and event_id, any code, with or without a person) of which a row
    is flagged outside the personalised plan / realised events (reading 2). -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
{#- An event belongs to one ESMS: counted per ESMS first, then summed over the ESMS of each scope (grouping the
    rows by scope first repeated every row once per scope that holds its ESMS: 1.8 s against 0.6 s at 5 M rows). -#}
with events as (
    select a.year, a.finess_et, a.event_id,
           max(case when a.outside_plan then 1 else 0 end) as outside_plan
    from {{ ref('int_activity_realised') }} as a
    where true{{ serafin.in_refreshed_years('a.year') }}
    group by a.year, a.finess_et, a.event_id
),

by_esms as (
    select finess_et, year, sum(outside_plan) as outside_plan, count(*) as events
    from events
    group by finess_et, year
),

persons as (
    select scope, year, count(distinct person_id) as persons
    from {{ ref('int_activity_dates') }}
    where true{{ serafin.in_refreshed_years() }}
    group by scope, year
),

counts as (
    select sc.scope, b.year, sum(b.outside_plan) as outside_plan, cast(sum(b.events) as bigint) as events
    from by_esms as b
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = b.finess_et
    group by sc.scope, b.year
)

select g.scope, g.year, coalesce(c.outside_plan, 0) as numerator, coalesce(c.events, 0) as denominator,
       coalesce(p.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join counts as c on c.scope = g.scope and c.year = g.year
left join persons as p on p.scope = g.scope and p.year = g.year
where true{{ serafin.in_refreshed_years('g.year') }}
