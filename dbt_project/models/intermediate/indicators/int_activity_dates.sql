{#- Presence: one row per scope, year, person and distinct date with at least one realised activity row of
    the person in the scope (any code). -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
select distinct sc.scope, a.year, a.person_id, a.activity_date
from {{ ref('int_activity_realised') }} as a
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = a.finess_et
where a.person_id is not null{{ serafin.in_refreshed_years('a.year') }}
