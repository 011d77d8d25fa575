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
with rows_ as (
    select r.*, f.file_rank * 1099511627776 + r._line as order_key
    from {{ ref('int_activity_realised') }} as r
    left join (
        select _file, row_number() over (order by _file) as file_rank
        from (select distinct _file from {{ ref('int_activity_realised') }} as r
              where true{{ serafin.in_refreshed_actions('r') }}) as files
    ) as f on f._file = r._file
    where true{{ serafin.in_refreshed_actions('r') }}
),

actions as (
    select
        finess_et, year, event_id, professional_id,
        min(prestation_code) as prestation_code,
        min(started_at) as started_at,
        max(duration_min) as duration_min,
        count(person_id) as persons,
        {{ serafin.value_at_min('setting', 'case when setting is not null then order_key end') }} as setting,
        {{ serafin.value_at_min('partner_id', 'case when partner_id is not null then order_key end') }} as partner_id
    from rows_
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
    setting,
    partner_id
from actions
