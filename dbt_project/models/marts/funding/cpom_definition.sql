{#- The CPOM parameters of the run (the landing folder's cpom.yaml, checked by pipelines/cpom.py: var cpom) as
    JSON, with the target scenario: `serafin scenario FILE` reads them to refresh marts.cpom_trajectory when FILE
    is the target scenario. One row; none without cpom.yaml. -#}
{% set cpom = serafin.run_var('cpom') %}
{% set rows = [[serafin.sql_text(cpom.get('target_scenario')), serafin.sql_text(tojson(cpom))]] if cpom else [] %}
{{ serafin.rows_relation(rows, [('target_scenario', 'string'), ('definition', 'string')]) }}
