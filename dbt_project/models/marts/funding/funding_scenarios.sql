{{ config(tags=['scenario', 'scenario_input']) }}
{#- One row per scenario of the run: its file, description, years, sensitivity, number of rules and shifts, and
    its checked definition (the JSON of var scenarios), which `serafin scenario` reads to re-run the
    scenarios of a warehouse beside a new one. -#}
{% set rows = [] %}
{% for s in serafin.scenarios() %}
    {% do rows.append([serafin.sql_text(s.name), serafin.sql_text(s.file), serafin.sql_text(s.description),
                       serafin.sql_text((s.years or []) | join(', ')), serafin.sql_number(s.sensitivity),
                       (s.rules | length), (s.shifts | length), serafin.sql_text(tojson(s))]) %}
{% endfor %}
{{ serafin.rows_relation(rows, [('scenario', 'string'), ('file', 'string'), ('description', 'string'),
                                ('years', 'string'), ('sensitivity', 'double'), ('rules', 'integer'),
                                ('shifts', 'integer'), ('definition', 'string')]) }}
