{#- Incremental runs (README "Incremental runs"; pipelines/incremental.py decides when a run may be one).
    int_activity__checked re-validates the rows of new activity files and of the events they touch; each row it
    writes carries the run's `_batch` (`batch_id`). A model built "by action" (int_actions, int_person_actions: one row per
    action, or per person of an action, computed from that action's rows alone) then recomputes the actions whose
    rows this run wrote; a model built "by year" rebuilds whole years: those of the rows this run wrote (a cost
    year is computed whole), and leaves every other year untouched. On Spark, and on a full refresh, these models
    are plain tables built from everything. -#}

{#- The `_batch` of the rows this run writes: a digest of the files it landed (name, sha256, ingestion version, key
    fingerprint, status), not the dbt invocation, so the same landing folder gives the same warehouse whatever runs
    came before (a run killed and run again equals a clean run, tests/test_rerun_after_kill.py); a monthly refresh
    lands one more file, so its rows get another batch than the rows already there. -#}
{% macro batch_id() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return('unit-test-batch') }}
    {%- endif -%}
    {%- if load_relation(source('raw', 'ingested_files')) is none -%}
        {{ return('no-landing') }}  {#- serafin docs without a warehouse: an empty DuckDB file -#}
    {%- endif -%}
    {%- set rows = run_query("select file, sha256, ingest_version, key_fingerprint, status from "
                             ~ source('raw', 'ingested_files') ~ " order by file").rows -%}
    {%- set lines = [] -%}
    {%- for row in rows -%}{%- do lines.append(row.values() | join('|')) -%}{%- endfor -%}
    {{ return(local_md5(lines | join('\n'))) }}
{%- endmacro %}

{#- the actions (event_id, professional_id) whose rows this run wrote: all of their rows, since
    int_activity__checked re-validates every row of an event a new row touches -#}
{% macro refreshed_actions() -%}
    (select distinct event_id, professional_id
     from {{ ref('int_activity__checked') }}
     where _batch = '{{ serafin.batch_id() }}')
{%- endmacro %}

{#- the pre-hook of a model built by action: on an incremental run, the rows of the refreshed actions go first -#}
{% macro delete_refreshed_actions() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as t where exists (
            select 1 from {{ serafin.refreshed_actions() }} as r
            where r.event_id = t.event_id and r.professional_id = t.professional_id)
    {%- endif -%}
{%- endmacro %}

{#- the filter of a model built by action: on an incremental run, only the rows of the refreshed actions, which are
    the rows this run wrote (`alias`: the relation of realised activity rows, with their `_batch`) -#}
{% macro in_refreshed_actions(alias) -%}
    {%- if is_incremental() %} and {{ alias }}._batch = '{{ serafin.batch_id() }}'{% endif -%}
{%- endmacro %}

{#- the years of the activity rows written by this run, for `year in ...`: a list of numbers, read when the model
    runs (int_activity__checked is built by then). A subquery there would be planned as a join, which keeps DuckDB
    from skipping the row groups of other years in the tables read (parcours took twice as long); `(null)` when the
    run wrote no dated row -#}
{% macro refreshed_years() -%}
    {%- set query -%}
        select distinct cast(extract(year from started_at) as integer) as year
        from {{ ref('int_activity__checked') }}
        where _batch = '{{ serafin.batch_id() }}' and started_at is not null
    {%- endset -%}
    {%- if execute -%}
        {%- set years = run_query(query).columns[0].values() | sort -%}
        ({{ years | join(', ') if years else 'null' }})
    {%- else -%}
        ({{ query }})
    {%- endif -%}
{%- endmacro %}

{#- the pre-hook of a model built by year: on an incremental run, its rows of the refreshed years go first -#}
{% macro delete_refreshed_years() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where year in {{ serafin.refreshed_years() }}
    {%- endif -%}
{%- endmacro %}

{#- the filter of a model built by year: on an incremental run, only the refreshed years (`alias.year`) -#}
{% macro in_refreshed_years(column='year') -%}
    {%- if is_incremental() %} and {{ column }} in {{ serafin.refreshed_years() }}{% endif -%}
{%- endmacro %}

{#- Year passes: a model that groups, joins or orders every realised activity row (int_actions, int_person_actions,
    int_activity_dates, int_activity_gaps) runs one year at a time when its input has many rows (more than
    setting year_passes_above_rows: macros/run_options.sql), on DuckDB's full build. Its hash table or sort then holds
    one year and stays within DuckDB's memory limit; over it, DuckDB spills and slows down (at 50 M rows with 2 GB: int_person_actions
    85 → 38 s, int_actions 52 → 31 s, int_activity_dates 30 → 21 s, benchmarks/RESULTS.md). Below the threshold
    one pass is faster, since each pass scans the whole input. The year is part of these models' keys, so the passes
    give the same rows as one.
    Returns the years of `relation` (a `year` column), or [none] for a single pass; `in_year_pass` is the filter
    of one pass. -#}
{% macro year_passes(relation) -%}
    {#- a unit test reads its given rows (a CTE, not a relation): one pass -#}
    {%- if not execute or target.type != 'duckdb' or is_incremental() or model.resource_type == 'unit_test' -%}
        {{ return([none]) }}
    {%- endif -%}
    {#- not built yet (`serafin docs` without a warehouse compiles every model on an empty file): one pass -#}
    {%- if load_relation(relation) is none -%}
        {{ return([none]) }}
    {%- endif -%}
    {%- set row = run_query("select count(*), min(year), max(year) from " ~ relation).rows[0] -%}
    {%- if row[0] <= serafin.setting('year_passes_above_rows') or row[1] is none -%}
        {{ return([none]) }}
    {%- endif -%}
    {{ return(range(row[1] | int, (row[2] | int) + 1) | list) }}
{%- endmacro %}

{#- the filter of one year pass: on a start timestamp, a range (so that DuckDB skips the row groups of other years),
    or on a year column (`is_year`); nothing for a single pass -#}
{% macro in_year_pass(column, year, is_year=false) -%}
    {%- if year is none -%}
    {%- elif is_year %} and {{ column }} = {{ year }}
    {%- else %} and {{ column }} >= cast('{{ year }}-01-01' as timestamp) and {{ column }} < cast('{{ year + 1 }}-01-01' as timestamp)
    {%- endif -%}
{%- endmacro %}
