{#-
  The cooperation's frame (cooperation.yaml, checked by pipelines/cooperation.py) reaches dbt as the run
  value `cooperation` (serafin.run_var): {name, members: [finess], partners: [ids], objectives: [{id, strategic, label, indicator,
  scope, direction, tolerance, targets: {year: value}}]}. Absent when the landing folder has no frame.
-#}

{% macro cooperation() -%}
    {{ return(serafin.run_var('cooperation') or {}) }}
{%- endmacro %}

{#- a SQL list of text literals ('a', 'b'), or (NULL) when empty, for `in` -#}
{% macro text_list(values) -%}
    {%- if values -%}
        ({% for v in values %}'{{ v | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        (cast(null as {{ dbt.type_string() }}))
    {%- endif -%}
{%- endmacro %}

{#- An apostrophe or a backslash is written as chr(39) / chr(92): a doubled quote reads as two adjacent literals on
    Spark (silently concatenated without it) and a backslash is an escape there (docs: portability). -#}
{% macro sql_text(value) -%}
    {%- if value is none -%}cast(null as {{ dbt.type_string() }}){%- else -%}
    '{{ value | string | replace("'", "' || chr(39) || '") | replace("\\", "' || chr(92) || '") }}'
    {%- endif -%}
{%- endmacro %}
