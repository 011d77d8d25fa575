{{ config(tags=['scenario', 'scenario_input']) }}
{#- The lists of the rules: one row per scenario × rule × key. For per_place the key is an ESMS category
    (short label) and value its amount per place; for per_need_level the key is a level (1-3) and value its
    amount per person; for per_hour with settings the key is a setting and value is null. -#}
{% set rows = [] %}
{% for s in serafin.scenarios() %}
    {% for r in s.rules %}
        {% for key, amount in r.amounts.items() %}
            {% do rows.append([serafin.sql_text(s.name), r.no, "'amount'", serafin.sql_text(key), serafin.sql_number(amount)]) %}
        {% endfor %}
        {% for setting in (r.settings or []) %}
            {% do rows.append([serafin.sql_text(s.name), r.no, "'setting'", serafin.sql_text(setting), serafin.sql_number(none)]) %}
        {% endfor %}
    {% endfor %}
{% endfor %}
{{ serafin.rows_relation(rows, [('scenario', 'string'), ('rule_no', 'integer'), ('list', 'string'),
                                ('key_', 'string'), ('value_', 'double')]) }}
