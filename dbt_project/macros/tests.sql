{#- Generic test: every row satisfies the SQL expression (dbt_utils-style, written here: no hub packages offline). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- Generic test: the grain of a model or seed (its description's "Grain:"). These columns identify a row: no two rows
    share them, and none is NULL, except the columns listed in `nullable` (NULLs there group together, as in GROUP BY).
    One row per problem: a repeated key (problem 'repeated', the key and its number of rows) or a column with NULLs
    (problem 'null', the column and its number of NULL rows); the number dbt reports is the rows at fault in all (as
    `not_null_columns` below). `not_null` lists further columns, outside the key, that must never be NULL: counted in
    the same scan as the key's and reported as they are (problem 'null'), so a model needs no `not_null_columns`
    test beside its grain. One dbt test per model, where a unique test and a not_null per column were as many dbt
    nodes, each with its own query (benchmarks/RESULTS.md).
    A 64-bit hash of the columns finds the candidate keys (a narrow aggregate: grouping millions of rows by several
    text columns made these the slowest tests, 1 to 3 s each at 5 M rows); the exact group by runs on the
    candidates' rows only, so a hash collision only adds a candidate, which the exact count then clears. -#}
{% test grain(model, columns, nullable=[], not_null=[]) %}
{{ config(fail_calc='coalesce(sum(rows_), 0)') }}
{%- set key_required = columns | reject('in', nullable) | list %}
{%- set required = key_required + (not_null | reject('in', key_required) | list) %}
with candidates as (
    select {{ serafin.key_hash(columns) }} as row_key
    from {{ model }}
    group by {{ serafin.key_hash(columns) }}
    having count(*) > 1
),

repeated as (
    select {{ columns | join(', ') }}, count(*) as rows_
    from {{ model }}
    where {{ serafin.key_hash(columns) }} in (select row_key from candidates)
    group by {{ columns | join(', ') }}
    having count(*) > 1
)

select 'repeated' as problem, null as column_name, {{ columns | join(', ') }}, rows_
from repeated
{%- if required %}
union all
select 'null' as problem, column_name, {% for column in columns %}null as {{ column }}, {% endfor %}null_rows as rows_
from ({{ serafin.null_rows(model, required) }}) as nulls
{%- endif %}
{% endtest %}

{#- Generic test: these columns (beside the grain's, which `grain` checks) are never NULL. One test per model, not one
    per column: a single scan counts the NULLs of every column (`count(*) - count(column)`), where dbt's `not_null`
    runs one query, and one dbt node, per column. With `grain`, a full build runs 214 dbt tests instead of 527, and
    a month added about 100 instead of 317 (benchmarks/RESULTS.md). A failure lists each column with NULLs and
    its number of rows; the number dbt reports is the NULL rows in all. -#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(null_rows), 0)') }}
{{ serafin.null_rows(model, columns) }}
{% endtest %}

{#- The columns of `model` that have NULLs, one row each (column_name, null_rows), counted in one scan. -#}
{% macro null_rows(model, columns) %}
with null_counts as (
    select
    {%- for column in columns %}
        count(*) - count({{ column }}) as nulls_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{% for column in columns %}
select '{{ column }}' as column_name, nulls_{{ loop.index }} as null_rows from null_counts where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endmacro %}
