{#-
  The funding scenarios (landing folder's scenarios/*.yaml, checked by pipelines/scenarios.py) reach dbt as
  the run value `scenarios` (serafin.run_var): a list of {name, description, file, years, sensitivity, rules: [{no, rule, kind, label,
  prestation, need, settings, tariff, percentile, among, amounts: {key: amount}}], shifts: [{no, prestation,
  from_setting, to_setting, share}]}. These macros turn it into relations (a union of one-row selects, which
  every engine reads); an empty list gives an empty relation with the same columns. Only the scenario inputs
  (tag scenario_input) read the var: the other scenario models read those tables, so that their SQL is the same
  whatever the scenarios and `serafin scenario` can run it as a run compiled it (pipelines/scenario_sql.py).
-#}

{% macro scenarios() -%}
    {{ return(serafin.run_var('scenarios') or []) }}
{%- endmacro %}

{% macro sql_number(value) -%}
    {%- if value is none -%}cast(null as double){%- else -%}cast({{ value }} as double){%- endif -%}
{%- endmacro %}

{#- rows: a list of lists of SQL expressions; columns: [(name, sql type)] -#}
{% macro rows_relation(rows, columns) -%}
    {%- if rows -%}
        {%- for row in rows %}
    select {% for value in row %}{{ value }} as {{ columns[loop.index0][0] }}{% if not loop.last %}, {% endif %}{% endfor %}
        {%- if not loop.last %}
    union all{% endif %}
        {%- endfor %}
    {%- else %}
    select {% for name, type in columns %}cast(null as {{ dbt.type_string() if type == 'string' else type }}) as {{ name }}{% if not loop.last %}, {% endif %}{% endfor %}
    where 1 = 0
    {%- endif -%}
{%- endmacro %}

{#- the continuous percentile (linear interpolation) of expr, p in [0, 1] -#}
{% macro percentile_cont(expr, p) %}{{ return(adapter.dispatch('percentile_cont', 'serafin')(expr, p)) }}{% endmacro %}
{% macro default__percentile_cont(expr, p) %}quantile_cont({{ expr }}, {{ p }}){% endmacro %}
{% macro spark__percentile_cont(expr, p) %}percentile({{ expr }}, {{ p }}){% endmacro %}
