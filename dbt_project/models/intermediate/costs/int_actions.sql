{#- Step 3 and 11. One row per realised action: one (event_id, professional_id) of an ESMS and year, however
    many persons attended. Its prestation code and duration are the pair's (the validation keeps one of each
    per pair); persons = the person rows attending; its start is the earliest; its setting and partner are its
    first non-empty ones by file and line (found in the same pass: the smallest "file, line | value" key).
    Every later step that counts professional time (hours per prestation, action costs, direct hours of the
    indicators, funding hours) reads this table, so an action is counted once everywhere. -#}
{#- Built by action (macros/incremental.sql): a run adding activity recomputes the actions whose rows it wrote. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_actions() }}", on_schema_change='fail') }}
{% set order_key = "_file || '#' || lpad(cast(_line as " ~ dbt.type_string() ~ "), 12, '0') || '|'" %}
with actions as (
    select
        finess_et, year, event_id, professional_id,
        min(prestation_code) as prestation_code,
        min(started_at) as started_at,
        max(duration_min) as duration_min,
        count(person_id) as persons,
        min(case when setting is not null then {{ order_key }} || setting end) as setting_key,
        min(case when partner_id is not null then {{ order_key }} || partner_id end) as partner_key
    from {{ ref('int_activity_realised') }} as r
    where true{{ serafin.in_refreshed_actions('r') }}
    group by finess_et, year, event_id, professional_id
)

select
    finess_et,
    year,
    event_id,
    professional_id,
    prestation_code,
    started_at,
    duration_min,
    cast(persons as bigint) as persons,
    substr(setting_key, {{ serafin.text_position("'|'", 'setting_key') }} + 1) as setting,
    substr(partner_key, {{ serafin.text_position("'|'", 'partner_key') }} + 1) as partner_id
from actions
