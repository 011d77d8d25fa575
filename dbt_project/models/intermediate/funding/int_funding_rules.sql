{{ config(tags=['scenario', 'scenario_input']) }}
{#- One row per scenario × rule of the scenario files (var scenarios, macros/funding.sql), numbered from 1 in
    file order: its kind, prestation or need, fixed tariff (a share for base_share) or derived tariff
    (percentile, among), whether it is limited to settings, and the scenario's sensitivity. -#}
{% set rows = [] %}
{% for s in serafin.scenarios() %}
    {% for r in s.rules %}
        {% do rows.append([serafin.sql_text(s.name), r.no, serafin.sql_text(r.rule), serafin.sql_text(r.kind),
                           serafin.sql_text(r.label), serafin.sql_text(r.prestation), serafin.sql_text(r.need),
                           serafin.sql_number(r.tariff), serafin.sql_number(r.percentile), serafin.sql_text(r.among),
                           'true' if r.settings is not none else 'false', serafin.sql_number(s.sensitivity)]) %}
    {% endfor %}
{% endfor %}
{{ serafin.rows_relation(rows, [('scenario', 'string'), ('rule_no', 'integer'), ('rule', 'string'),
                                ('kind', 'string'), ('label', 'string'), ('prestation_code', 'string'),
                                ('need_code', 'string'), ('tariff', 'double'), ('percentile', 'double'),
                                ('among', 'string'), ('has_settings', 'boolean'), ('sensitivity', 'double')]) }}
