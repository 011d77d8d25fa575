{#- The gaps between two consecutive dates of realised activity of a person in a scope and year (any code;
    the stretches before the first date and after the last are not gaps): one row per gap with its length in
    days and whether every day of it lies inside a stay of the person there (open stays to 31 December).
    A rupture is a gap inside a stay longer than var rupture_gap_days (rupture_rate, followup_ruptures). -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
{#- one pass, or one per year when the dates are many (macros/incremental.sql: year_passes) -#}
{%- set passes = serafin.year_passes(ref('int_activity_dates')) %}
with dates as (
    {% for year in passes -%}
    {%- if not loop.first %}
    union all
    {% endif -%}
    select scope, year, person_id, activity_date,
           lag(activity_date) over (partition by scope, year, person_id order by activity_date nulls last) as previous
    from {{ ref('int_activity_dates') }}
    where true{{ serafin.in_refreshed_years() }}{{ serafin.in_year_pass('year', year, is_year=true) }}
    {%- endfor %}
),

gaps as (
    select scope, year, person_id, previous as gap_from, activity_date as gap_to,
           {{ dbt.datediff('previous', 'activity_date', 'day') }} as days
    from dates
    where previous is not null
)

select
    g.scope,
    g.year,
    g.person_id,
    g.gap_from,
    g.gap_to,
    g.days,
    i.person_id is not null as inside_stay,
    i.person_id is not null and g.days > {{ var('rupture_gap_days') }} as is_rupture
from gaps as g
left join {{ ref('int_stay_islands') }} as i
    on i.scope = g.scope and i.year = g.year and i.person_id = g.person_id and i.kind = 'any'
    and i.day_from <= g.gap_from and i.day_to >= g.gap_to
