{#- The hours the per_hour rules pay (scenarios.md): one row per ESMS × year × person × direct prestation ×
    setting, with the hours attributed to the person on the realised actions (duration / n, cost-method step
    8, int_person_actions), and one row with no person for the actions without any. They add up to the
    professional hours of each prestation; an action's setting is its first non-empty one (NULL: none). -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
select finess_et, year, person_id, prestation_code, setting, sum(hours) as hours
from {{ ref('int_person_actions') }}
where true{{ serafin.in_refreshed_years() }}
group by finess_et, year, person_id, prestation_code, setting

union all

select a.finess_et, a.year, cast(null as {{ dbt.type_string() }}), a.prestation_code, a.setting,
       sum(a.duration_min) / 60.0
from {{ ref('int_actions') }} as a
inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.prestation_code
where k.section_kind = 'direct' and a.persons = 0{{ serafin.in_refreshed_years('a.year') }}
group by a.finess_et, a.year, a.prestation_code, a.setting
