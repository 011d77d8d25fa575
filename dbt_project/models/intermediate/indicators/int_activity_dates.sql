{#- Presence: one row per scope, year, person and distinct date with at least one realised activity row of
    the person in the scope (any code). -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
-- the dates of each person in each ESMS first (a region has tens of millions of rows), then widened to the scopes;
-- one pass, or one per year when the rows are many (macros/incremental.sql: year_passes)
{%- set passes = serafin.year_passes(ref('int_activity_realised')) %}
{% for year in passes %}
{%- if not loop.first %}
union all
{% endif -%}
select distinct sc.scope, d.year, d.person_id, d.activity_date
from (
    select distinct finess_et, year, person_id, activity_date
    from {{ ref('int_activity_realised') }}
    where person_id is not null{{ serafin.in_refreshed_years() }}{{ serafin.in_year_pass('started_at', year) }}
) as d
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = d.finess_et
{% endfor %}
