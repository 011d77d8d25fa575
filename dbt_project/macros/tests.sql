{#- Generic test: every row satisfies the SQL expression (dbt_utils-style, written here: no hub packages offline). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- Generic test: no two rows share these columns (the grain of a model or seed). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
