{#- Run options passed by `serafin run --years 2024-2025` as dbt --vars (pipelines/defs/dbt.py). -#}

{#- A predicate keeping the selected fiscal years; every year when none was selected. The cost models
    apply it where they read ledger, staff and activity, so a run for some years costs only those. -#}
{% macro selected_years(year_expression) -%}
    {%- set years = var('years', []) -%}
    {%- if years -%}
        {{ year_expression }} in ({{ years | map('int') | join(', ') }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
