{#- Incremental runs (README "Incremental runs"; pipelines/incremental.py decides when a run may be one).
    int_activity__checked re-validates the rows of new activity files and of the events they touch; each row it
    writes carries the run's `_batch`. A model built "by action" (int_actions, int_person_actions: one row per
    action, or per person of an action, computed from that action's rows alone) then recomputes the actions whose
    rows this run wrote; a model built "by year" rebuilds whole years: those of the rows this run wrote (a cost
    year is computed whole), and leaves every other year untouched. On Spark, and on a full refresh, these models
    are plain tables built from everything. -#}

{#- the actions (event_id, professional_id) whose rows this run wrote: all of their rows, since
    int_activity__checked re-validates every row of an event a new row touches -#}
{% macro refreshed_actions() -%}
    (select distinct event_id, professional_id
     from {{ ref('int_activity__checked') }}
     where _batch = '{{ invocation_id }}')
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
    {%- if is_incremental() %} and {{ alias }}._batch = '{{ invocation_id }}'{% endif -%}
{%- endmacro %}

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
