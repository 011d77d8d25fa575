{#- Incremental runs (README "Incremental runs"; pipelines/incremental.py decides when a run may be one).
    int_activity__checked re-validates the rows of new activity files and of the events they touch; each row it
    writes carries the run's `_batch`. A model built "by year" then rebuilds whole years: those of the rows this
    run wrote (a cost year is computed whole), and leaves every other year untouched. On Spark, and on a full
    refresh, these models are plain tables built from everything. -#}

{#- the years of the activity rows written by this run: a subquery, for `year in ...` -#}
{% macro refreshed_years() -%}
    (select distinct cast(extract(year from started_at) as integer)
     from {{ ref('int_activity__checked') }}
     where _batch = '{{ invocation_id }}' and started_at is not null)
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
