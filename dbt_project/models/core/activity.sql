{#- The valid rows of landing table activity: canonical names, typed values, official codes, source file and line.
    A view: the large table is written once, by int_activity__checked (every row with its verdict); a
    second copy of millions of rows would cost seconds for nothing (benchmarks/RESULTS.md). -#}
{#- a view in the DuckDB warehouse file; a table on Spark, whose tables are copied into it (pipelines/spark_engine.py) -#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
select
    event_id,
    person_id,
    finess_et,
    professional_id,
    prestation_code,
    started_at,
    ended_at,
    duration_min,
    setting,
    partner_id,
    status,
    need_code,
    outside_plan,
    _file,
    _line,
    _batch
from {{ ref('int_activity__checked') }}
where reject_reason is null
