{{ config(tags=['scenario', 'scenario_input']) }}
{#- The years of each scenario of the var scenarios (macros/funding.sql): one row per year its file gives, or one
    row with a NULL year when it gives none (every year with a ledger row, int_funding_grid). A scenario input:
    `serafin scenario` replaces a scenario's rows itself (pipelines/scenario_sql.py, `input_rows`). -#}
{% set rows = [] %}
{% for s in serafin.scenarios() %}
    {% for y in (s.years or [none]) %}
        {% do rows.append([serafin.sql_text(s.name), y if y is not none else 'cast(null as integer)']) %}
    {% endfor %}
{% endfor %}
{{ serafin.rows_relation(rows, [('scenario', 'string'), ('year', 'integer')]) }}
