{#-
  Engine-specific SQL that is not parsing: each macro has a DuckDB (default) and a Spark variant, so the
  models stay portable (docs: portability).
-#}

{# regular-expression test (DuckDB regexp_matches, Spark rlike) #}
{% macro matches(col, pattern) %}{{ return(adapter.dispatch('matches', 'serafin')(col, pattern)) }}{% endmacro %}
{% macro default__matches(col, pattern) %}regexp_matches({{ col }}, '{{ pattern }}'){% endmacro %}
{% macro spark__matches(col, pattern) %}({{ col }} rlike '{{ pattern }}'){% endmacro %}

{#- A 64-bit hash of several columns, used only to find candidate groups cheaply (duplicates, events
    whose rows disagree) before an exact comparison on the columns themselves: a collision costs a
    little time, never a wrong verdict. -#}
{% macro key_hash(cols) %}{{ return(adapter.dispatch('key_hash', 'serafin')(cols)) }}{% endmacro %}
{% macro duckdb__key_hash(cols) -%}
    hash({{ cols | join(', ') }})
{%- endmacro %}
{% macro spark__key_hash(cols) -%}
    xxhash64({{ cols | join(', ') }})
{%- endmacro %}

{# an amount as people read it in a message: 1,234.56 #}
{% macro format_amount(col) %}{{ return(adapter.dispatch('format_amount', 'serafin')(col)) }}{% endmacro %}
{% macro duckdb__format_amount(col) %}format('{:,.2f}', cast({{ col }} as double)){% endmacro %}
{% macro spark__format_amount(col) %}format_number(cast({{ col }} as double), 2){% endmacro %}

{#- A sum of doubles whose result does not depend on the order the rows come in: each term to 10 decimals, summed
    exactly as a decimal (a sum of doubles differs in its last bits when a parallel join hands the rows over in
    another order, so two runs on the same landing would not give the same bits). For the amounts a person's cost
    and the reconciliation add up, and the indicators' sums across ESMS. -#}
{% macro exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 10))) as double)
{%- endmacro %}

{% macro year_start(year) -%}cast(cast({{ year }} as {{ dbt.type_string() }}) || '-01-01' as date){%- endmacro %}
{% macro year_end(year) -%}cast(cast({{ year }} as {{ dbt.type_string() }}) || '-12-31' as date){%- endmacro %}

{#- Small-cell suppression, the one rule every board-level output goes through (var small_cell_k, default 5):
    the figure as text, or "< k" when the persons it counts are fewer than k. -#}
{% macro small_cell(value, persons, decimals=2) -%}
    case
        when {{ persons }} is null or {{ persons }} < {{ serafin.setting('small_cell_k') }} then '< {{ serafin.setting("small_cell_k") }}'
        when {{ value }} is null then null
        else {{ serafin.number_text('round(' ~ value ~ ', ' ~ decimals ~ ')') }}
    end
{%- endmacro %}

{#- A double as text, DuckDB's way on both engines: its shortest digits, never an exponent between 1e-4 and 1e15
    (0.0005, 8.0, 10000000.0). Spark's own cast writes 5.0E-4 below 0.001 and 1.0E7 from 10 million: there the
    value goes through a decimal of 10 places, its trailing zeros dropped (one kept after the point). Meant for
    values rounded to at most 10 places. -#}
{% macro number_text(expr) %}{{ return(adapter.dispatch('number_text', 'serafin')(expr)) }}{% endmacro %}
{% macro default__number_text(expr) %}cast({{ expr }} as {{ dbt.type_string() }}){% endmacro %}
{% macro spark__number_text(expr) -%}
    case when {{ expr }} = 0 or (abs({{ expr }}) >= 0.001 and abs({{ expr }}) < 10000000)
         then cast({{ expr }} as string)
         else regexp_replace(regexp_replace(cast(cast({{ expr }} as decimal(38, 10)) as string), '0+$', ''), '[.]$', '.0')
    end
{%- endmacro %}

{#- 1-based position of `needle` in `text` (0 when absent) -#}
{% macro text_position(needle, text) %}{{ return(adapter.dispatch('text_position', 'serafin')(needle, text)) }}{% endmacro %}
{% macro default__text_position(needle, text) %}strpos({{ text }}, {{ needle }}){% endmacro %}
{% macro spark__text_position(needle, text) %}instr({{ text }}, {{ needle }}){% endmacro %}

{#- The values of a group as one sorted text, joined by `delimiter`; NULL values are left out, and
    a group with none gives NULL. Not dbt.listagg: dbt-spark's ignores its order (a warning only), so the same
    group would read "PART02, 697940260" on Spark and "697940260, PART02" on DuckDB. -#}
{% macro sorted_list(col, delimiter=', ') %}{{ return(adapter.dispatch('sorted_list', 'serafin')(col, delimiter)) }}{% endmacro %}
{% macro default__sorted_list(col, delimiter) -%}
    string_agg({{ col }}, '{{ delimiter }}' order by {{ col }} nulls last)
{%- endmacro %}
{% macro spark__sorted_list(col, delimiter) -%}
    case when count({{ col }}) > 0 then array_join(array_sort(collect_list({{ col }})), '{{ delimiter }}') end
{%- endmacro %}

{#- the value of the row with the smallest key, rows with a null key left out: DuckDB's arg_min (which also leaves out
    a null value), Spark's min_by (which does not: give a null key where the value is null) -#}
{% macro value_at_min(value, key) %}{{ return(adapter.dispatch('value_at_min', 'serafin')(value, key)) }}{% endmacro %}
{% macro default__value_at_min(value, key) %}arg_min({{ value }}, {{ key }}){% endmacro %}
{% macro spark__value_at_min(value, key) %}min_by({{ value }}, {{ key }}){% endmacro %}
