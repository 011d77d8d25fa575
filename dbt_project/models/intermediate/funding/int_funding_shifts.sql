{{ config(tags=['scenario', 'scenario_input']) }}
{#- The shifts of each scenario of the var scenarios (macros/funding.sql), numbered from 1 in file order: the
    share of the hours on codes under prestation_code delivered in from_setting that moves to to_setting. A
    scenario input: `serafin scenario` replaces a scenario's rows itself (pipelines/scenario_sql.py). -#}
{% set rows = [] %}
{% for s in serafin.scenarios() %}
    {% for sh in s.shifts %}
        {% do rows.append([serafin.sql_text(s.name), sh.no, serafin.sql_text(sh.prestation),
                           serafin.sql_text(sh.from_setting), serafin.sql_text(sh.to_setting),
                           serafin.sql_number(sh.share)]) %}
    {% endfor %}
{% endfor %}
{{ serafin.rows_relation(rows, [('scenario', 'string'), ('shift_no', 'integer'), ('prestation_code', 'string'),
                                ('from_setting', 'string'), ('to_setting', 'string'), ('share', 'double')]) }}
