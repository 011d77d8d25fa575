{#- Generic test: every row satisfies the SQL expression (dbt_utils-style, written here: no hub packages offline). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
