{#- Step 8 and 11. One row per person attending a realised action on a direct (2.x) prestation: the action's
    prestation and setting (int_actions), the persons attending it and the hours attributed to the person
    (duration / n). marts.person_action_cost gives each row its cost; the funding scenarios pay these hours. -#}
{#- Built by action (macros/incremental.sql), like int_actions. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_actions() }}", on_schema_change='fail') }}
{%- set passes = serafin.year_passes(ref('int_activity_realised')) %}
{#- one pass, or one per year when the rows are many (macros/incremental.sql: year_passes) -#}
{% for year in passes %}
select
    r.person_id,
    r.event_id,
    r.professional_id,
    a.finess_et,
    a.year,
    a.prestation_code,
    a.setting,
    a.persons,
    a.duration_min / 60.0 / a.persons as hours
from {{ ref('int_activity_realised') }} as r
inner join {{ ref('int_actions') }} as a
    on a.finess_et = r.finess_et and a.year = r.year and a.event_id = r.event_id
    and a.professional_id = r.professional_id
inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.prestation_code
where r.person_id is not null and k.section_kind = 'direct'{{ serafin.in_refreshed_actions('r') }}
    {{- serafin.in_year_pass('r.started_at', year) }}{{ serafin.in_year_pass('a.year', year, is_year=true) }}
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
