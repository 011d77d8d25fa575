{#- Step 3 and 11. One row per realised action: one (event_id, professional_id) of an ESMS and year, however
    many persons attended. Its prestation code and duration are the pair's (the validation keeps one of each
    per pair); persons = the person rows attending; its start is the earliest; its setting and partner are its
    first non-empty ones by file and line.
    Every later step that counts professional time (hours per prestation, action costs, direct hours of the
    indicators, funding hours) reads this table, so an action is counted once everywhere. -#}
{#- Built by action (macros/incremental.sql): a run adding activity recomputes the actions whose rows it wrote. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_actions() }}", on_schema_change='fail') }}
{#- "First by file and line" as one number: the file's rank among the files (by name) times 2^40, plus the line. An
    order key of text (file || line || value) made the aggregate keep a text per action: at 50 M rows it held 1.8 GB
    beyond DuckDB's memory limit and took twice as long. -#}
{%- set passes = serafin.year_passes(ref('int_activity_realised')) %}
with file_ranks as (
    select _file, row_number() over (order by _file) as file_rank
    from (select distinct _file from {{ ref('int_activity_realised') }} as r
          where true{{ serafin.in_refreshed_actions('r') }}) as files
),

{#- one pass, or one per year when the rows are many (macros/incremental.sql: year_passes) -#}
{% for year in passes %}
actions_{{ loop.index }} as (
    select
        r.finess_et, r.year, r.event_id, r.professional_id,
        min(r.prestation_code) as prestation_code,
        min(r.started_at) as started_at,
        max(r.duration_min) as duration_min,
        count(r.person_id) as persons,
        {{ serafin.value_at_min('r.setting', 'case when r.setting is not null then f.file_rank * 1099511627776 + r._line end') }} as setting,
        {{ serafin.value_at_min('r.partner_id', 'case when r.partner_id is not null then f.file_rank * 1099511627776 + r._line end') }} as partner_id
    from {{ ref('int_activity_realised') }} as r
    left join file_ranks as f on f._file = r._file
    where true{{ serafin.in_refreshed_actions('r') }}{{ serafin.in_year_pass('r.started_at', year) }}
    group by r.finess_et, r.year, r.event_id, r.professional_id
),
{% endfor %}

actions as (
    {% for year in passes -%}
    select * from actions_{{ loop.index }}{% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
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
    setting,
    partner_id
from actions
