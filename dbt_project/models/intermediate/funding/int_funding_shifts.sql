{{ config(tags=['scenario']) }}
{#- One row per scenario × shift, in file order: the share of the hours on codes under prestation_code
    delivered in from_setting that moves to to_setting before the rules with settings are applied. -#}
{% set rows = [] %}
{% for s in serafin.scenarios() %}
    {% for sh in s.shifts %}
        {% do rows.append([serafin.sql_text(s.name), sh.no, serafin.sql_text(sh.prestation),
                           serafin.sql_text(sh.from_setting), serafin.sql_text(sh.to_setting), serafin.sql_number(sh.share)]) %}
    {% endfor %}
{% endfor %}
{{ serafin.rows_relation(rows, [('scenario', 'varchar'), ('shift_no', 'integer'), ('prestation_code', 'varchar'),
                                ('from_setting', 'varchar'), ('to_setting', 'varchar'), ('share', 'double')]) }}
