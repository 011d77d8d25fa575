{#- partner_share: direct hours with a partner / direct hours. -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
with hours as (
    select scope, year,
           sum(case when partner_id is not null then hours else 0 end) as partner_hours,
           sum(hours) as hours
    from {{ ref('int_direct_pairs') }}
    where true{{ serafin.in_refreshed_years() }}
    group by scope, year
),

persons as (
    {{ serafin.direct_persons() }}
)

select g.scope, g.year, coalesce(h.partner_hours, 0) as numerator, coalesce(h.hours, 0) as denominator,
       coalesce(p.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join hours as h on h.scope = g.scope and h.year = g.year
left join persons as p on p.scope = g.scope and p.year = g.year
where true{{ serafin.in_refreshed_years('g.year') }}
