{#-
  Rules of the SERAFIN-PH nomenclature shared by every layer.
-#}

{#- a code equal to `parent` or below it in the hierarchy (2.1 covers 2.1.1.3, not 2.10) -#}
{% macro code_under(code, parent) -%}
    ({{ code }} = {{ parent }} or substr({{ code }}, 1, length({{ parent }}) + 1) = {{ parent }} || '.')
{%- endmacro %}
