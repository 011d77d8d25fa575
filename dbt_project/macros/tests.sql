{#- Generic test: every row satisfies the SQL expression (dbt_utils-style, written here: no hub packages offline). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- Generic test: no two rows share these columns (the grain of a model or seed). A 64-bit hash of the columns finds
    the candidate groups (a narrow aggregate: grouping millions of rows by several text columns made these the
    slowest tests, 1 to 3 s each at 5 M rows); the exact group by runs on the candidates' rows only, so a hash
    collision only adds a candidate, which the exact count then clears. -#}
{% test unique_combination(model, columns) %}
with candidates as (
    select {{ serafin.key_hash(columns) }} as row_key
    from {{ model }}
    group by {{ serafin.key_hash(columns) }}
    having count(*) > 1
)

select {{ columns | join(', ') }}, count(*) as rows_
from {{ model }}
where {{ serafin.key_hash(columns) }} in (select row_key from candidates)
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
