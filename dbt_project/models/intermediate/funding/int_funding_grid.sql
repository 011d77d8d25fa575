{{ config(tags=['scenario']) }}
{#- The rows of every scenario (scenarios.md, readings): every establishment × the scenario's years (given in
    the file, else the years with a ledger row); with the ESMS's category and authorised places. -#}
{% set given = [] %}
{% set by_default = [] %}
{% for s in serafin.scenarios() %}
    {% for y in (s.years or []) %}
        {% do given.append([serafin.sql_text(s.name), y]) %}
    {% endfor %}
    {% if not s.years %}
        {% do by_default.append([serafin.sql_text(s.name)]) %}
    {% endif %}
{% endfor %}
with given_years as (
    {{ serafin.rows_relation(given, [('scenario', 'string'), ('year', 'integer')]) }}
),

default_scenarios as (
    {{ serafin.rows_relation(by_default, [('scenario', 'string')]) }}
),

ledger_years as (
    select distinct year from {{ ref('ledger') }} where {{ serafin.selected_years('year') }}
),

scenario_years as (
    select scenario, year from given_years
    union all
    select d.scenario, l.year from default_scenarios as d cross join ledger_years as l
)

select
    sy.scenario,
    e.finess_et,
    sy.year,
    e.category,
    cast(coalesce(e.authorized_places, 0) as double) as authorized_places
from scenario_years as sy
cross join {{ ref('establishments') }} as e
