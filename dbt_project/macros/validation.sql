{#-
  Validation: each model lists its checks in order; the first that fails names the row's column,
  value and reason. A row with no failing check is valid and goes to core; any other goes to
  audit.rejected_rows. Helpers build the common checks so their wording is the same everywhere.
-#}

{% macro reject_columns(checks) -%}
    case {%- for c in checks %} when {{ c.when }} then '{{ c.column }}'{% endfor %} end as reject_column,
    case {%- for c in checks %} when {{ c.when }} then {{ c.get('value', c.column ~ '_raw') }}{% endfor %} end as reject_value,
    case {%- for c in checks %} when {{ c.when }} then {{ c.reason }}{% endfor %} end as reject_reason
{%- endmacro %}

{% macro check_required(column) -%}
    {{ return({'column': column, 'when': column ~ '_raw is null', 'reason': "'" ~ column ~ " is empty'"}) }}
{%- endmacro %}

{#- the text is present but did not parse: '<column> '<value>' is not <expected>' -#}
{% macro check_parsed(column, expected) -%}
    {{ return({'column': column, 'when': column ~ '_raw is not null and ' ~ column ~ ' is null',
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || ' is not " ~ expected ~ "'"}) }}
{%- endmacro %}

{% macro check_date(column) -%}
    {{ return(serafin.check_parsed(column, 'a date (YYYY-MM-DD or DD/MM/YYYY)')) }}
{%- endmacro %}

{% macro check_datetime(column) -%}
    {{ return(serafin.check_parsed(column, 'a date-time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)')) }}
{%- endmacro %}

{#- a period ends on or after its first day -#}
{% macro check_date_order(start, end) -%}
    {{ return({'column': end, 'when': end ~ ' < ' ~ start,
               'reason': "'" ~ end ~ " before " ~ start ~ " (' || " ~ end ~ "_raw || ' < ' || " ~ start ~ "_raw || ')'"}) }}
{%- endmacro %}

{#- a date from `earliest` to two years after the build: anything else is a typing error (2052 for 2025) -#}
{% macro check_plausible_date(column, earliest) -%}
    {{ return({'column': column,
               'when': column ~ " < cast('" ~ earliest ~ "' as date) or " ~ column ~ ' > ' ~ dbt.dateadd('year', 2, dbt.current_timestamp()),
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || ' is before " ~ earliest[:4] ~ " or more than two years ahead'"}) }}
{%- endmacro %}

{% macro check_range(column, low, high) -%}
    {{ return({'column': column, 'when': column ~ ' < ' ~ low ~ ' or ' ~ column ~ ' > ' ~ high,
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || ' must be between " ~ low ~ " and " ~ high ~ "'"}) }}
{%- endmacro %}

{% macro check_finess(column) -%}
    {{ return({'column': column,
               'when': column ~ '_raw is not null and not ' ~ serafin.matches(column ~ '_raw', '^(2A|2B|[0-9]{2})[0-9]{7}$'),
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || case when length(" ~ column
                         ~ "_raw) <> 9 then ' must have 9 characters' else ' must be 9 digits (2A or 2B allowed for Corsica)' end"}) }}
{%- endmacro %}

{#- the establishments (what core.establishments will hold: one row per FINESS, from establishments files or TDDUI
    exports): the other tables are checked against them within the validation layer -#}
{% macro known_establishments() -%}
    (select finess_et from {{ ref('int_establishments__resolved') }})
{%- endmacro %}

{% macro check_department(column) -%}
    {{ return({'column': column,
               'when': column ~ "_raw is not null and not " ~ serafin.matches(column ~ '_raw', '^(0[1-9]|1[0-9]|[3-8][0-9]|9[0-5]|2[1-9]|2A|2B|97[1-6])$'),
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || ' is not a French department (01-95, 2A, 2B, 971-976)'"}) }}
{%- endmacro %}

{% macro check_known_establishment(column='finess_et') -%}
    {{ return({'column': column, 'when': 'known_esms.finess_et is null',
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || ' is not in establishments'"}) }}
{%- endmacro %}

{#- codes: the SERAFIN-PH code (after aliases) must exist and be of the expected kinds -#}
{% macro check_code(column, kinds, expected) -%}
    {{ return({'column': column,
               'when': column ~ '_raw is not null and (' ~ column ~ '_kind is null or ' ~ column ~ "_kind not in ('" ~ kinds | join("', '") ~ "'))",
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || case when " ~ column
                         ~ "_kind is null then ' is not a SERAFIN-PH code' else ' is a ' || replace(" ~ column
                         ~ "_kind, '_', ' ') || ' code, " ~ expected ~ " is expected' end"}) }}
{%- endmacro %}

{#- keys: the first row (by file, line) is kept, later ones are rejected and point to it -#}
{% macro check_duplicate(key_label) -%}
    {{ return({'column': key_label.split(',')[0] | trim, 'when': 'dup_rank > 1',
               'reason': "'duplicate " ~ key_label ~ ": first given on line ' || cast(first_line as " ~ dbt.type_string() ~ ") || ' of ' || first_file"}) }}
{%- endmacro %}

{% macro duplicate_window(keys) -%}
    row_number() over (partition by {{ keys | join(', ') }} order by _file nulls last, _line nulls last) as dup_rank,
    first_value(_line) over (partition by {{ keys | join(', ') }} order by _file nulls last, _line nulls last) as first_line,
    first_value(_file) over (partition by {{ keys | join(', ') }} order by _file nulls last, _line nulls last) as first_file
{%- endmacro %}

{#- a code column resolved through the alias seed: <col> the official code, <col>_kind its kind -#}
{% macro code_join(alias, column) -%}
    left join {{ ref('code_aliases') }} as {{ alias }}_alias on {{ alias }}_alias.alias = {{ serafin.leading_code(column) }}
    left join {{ ref('serafin_codes') }} as {{ alias }} on {{ alias }}.code = coalesce({{ alias }}_alias.code, {{ serafin.leading_code(column) }})
{%- endmacro %}
