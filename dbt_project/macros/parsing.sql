{#-
  Parsing of landing text into typed values. Engine-specific SQL lives only here (duckdb__ and spark__
  variants), so the models stay portable. Every parser returns NULL when the text does not parse;
  the validation models turn that NULL into a reason a person understands.
-#}

{# '1 234,50' '1234.50' '1.234,50' '-12' '1 234,50 €' -> decimal; thousands separators: space, no-break space,
   narrow no-break space; a euro sign or EUR after (or before) the amount is dropped #}
{% macro parse_decimal(col) %}{{ return(adapter.dispatch('parse_decimal', 'serafin')(col)) }}{% endmacro %}
{% macro default__parse_decimal(col) -%}
    {%- set col = "replace(replace(" ~ col ~ ", '€', ''), 'EUR', '')" -%}
    try_cast(
        case
            when instr({{ col }}, ',') > 0 and instr({{ col }}, '.') > instr({{ col }}, ',')
                then replace({{ serafin.strip_spaces(col) }}, ',', '')
            when instr({{ col }}, ',') > 0
                then replace(replace({{ serafin.strip_spaces(col) }}, '.', ''), ',', '.')
            else {{ serafin.strip_spaces(col) }}
        end as decimal(18, 4))
{%- endmacro %}

{% macro strip_spaces(col) -%}
    replace(replace(replace(replace({{ col }}, ' ', ''), chr(160), ''), chr(8239), ''), chr(9), '')
{%- endmacro %}

{# a whole number written as '12', '12,0' or '12.00' #}
{% macro parse_int(col) -%}
    case when {{ serafin.parse_decimal(col) }} = floor({{ serafin.parse_decimal(col) }})
         then cast({{ serafin.parse_decimal(col) }} as integer) end
{%- endmacro %}

{#- DuckDB's strptime (1.5) reads one byte past the end of a text shorter than its format: its literal matching
    ('-', ':', ' ') has no bound check, nor its skipping of leading spaces. When that text ends at the end of a
    memory page the process dies (SIGSEGV, seen on 5 M rows: 'dd/mm/yyyy hh:mm' against '%d/%m/%Y %H:%M:%S').
    So the text gets a '|' after it, and the format too: a short text now fails on '|' inside its bounds, and
    every text that parsed still parses (trailing spaces are trimmed first, as strptime ignored them). -#}
{% macro duckdb_strptime(text, format) -%}
    try_strptime(rtrim({{ text }}) || '|', '{{ format }}|')
{%- endmacro %}

{# YYYY-MM-DD or DD/MM/YYYY; a trailing time is ignored #}
{% macro parse_date(col) %}{{ return(adapter.dispatch('parse_date', 'serafin')(col)) }}{% endmacro %}
{% macro duckdb__parse_date(col) -%}
    cast(coalesce(
        {{ serafin.duckdb_strptime("substr(" ~ col ~ ", 1, 10)", '%Y-%m-%d') }},
        {{ serafin.duckdb_strptime("substr(" ~ col ~ ", 1, 10)", '%d/%m/%Y') }}
    ) as date)
{%- endmacro %}
{% macro spark__parse_date(col) -%}
    coalesce(to_date(substr({{ col }}, 1, 10), 'yyyy-MM-dd'), to_date(substr({{ col }}, 1, 10), 'dd/MM/yyyy'))
{%- endmacro %}

{#- ISO 8601 with or without seconds, 'T' and offset, or DD/MM/YYYY HH:MM[:SS]; a date alone is midnight.
    The offset is dropped: times are read as the ESMS's local wall-clock time. -#}
{% macro parse_timestamp(col) %}{{ return(adapter.dispatch('parse_timestamp', 'serafin')(col)) }}{% endmacro %}
{% macro duckdb__parse_timestamp(col) -%}
    coalesce(
        {{ serafin.duckdb_strptime("substr(replace(" ~ col ~ ", 'T', ' '), 1, 19)", '%Y-%m-%d %H:%M:%S') }},
        {{ serafin.duckdb_strptime("substr(replace(" ~ col ~ ", 'T', ' '), 1, 16)", '%Y-%m-%d %H:%M') }},
        {{ serafin.duckdb_strptime("substr(" ~ col ~ ", 1, 19)", '%d/%m/%Y %H:%M:%S') }},
        {{ serafin.duckdb_strptime("substr(" ~ col ~ ", 1, 16)", '%d/%m/%Y %H:%M') }},
        case when length({{ col }}) = 10 then {{ serafin.duckdb_strptime(col, '%Y-%m-%d') }} end,
        case when length({{ col }}) = 10 then {{ serafin.duckdb_strptime(col, '%d/%m/%Y') }} end
    )
{%- endmacro %}
{% macro spark__parse_timestamp(col) -%}
    coalesce(
        to_timestamp(substr(replace({{ col }}, 'T', ' '), 1, 19), 'yyyy-MM-dd HH:mm:ss'),
        to_timestamp(substr(replace({{ col }}, 'T', ' '), 1, 16), 'yyyy-MM-dd HH:mm'),
        to_timestamp(substr({{ col }}, 1, 19), 'dd/MM/yyyy HH:mm:ss'),
        to_timestamp(substr({{ col }}, 1, 16), 'dd/MM/yyyy HH:mm'),
        case when length({{ col }}) = 10 then to_timestamp({{ col }}, 'yyyy-MM-dd') end,
        case when length({{ col }}) = 10 then to_timestamp({{ col }}, 'dd/MM/yyyy') end
    )
{%- endmacro %}

{# 1/0, oui/non, true/false, vrai/faux, x/empty (empty is NULL here; models choose the default) #}
{% macro parse_bool(col) -%}
    case
        when lower({{ col }}) in ('1', 'oui', 'o', 'true', 'vrai', 'x', 'yes', 'y') then true
        when lower({{ col }}) in ('0', 'non', 'n', 'false', 'faux', 'no') then false
    end
{%- endmacro %}

{# lower case, accents removed, spaces and dashes as underscores: 'À domicile' -> 'a_domicile' #}
{% macro fold(col) %}{{ return(adapter.dispatch('fold', 'serafin')(col)) }}{% endmacro %}
{% macro duckdb__fold(col) -%}
    replace(replace(replace(lower(strip_accents(trim({{ col }}))), ' ', '_'), '-', '_'), chr(39), '_')
{%- endmacro %}
{% macro spark__fold(col) -%}
    replace(replace(replace(lower(translate(trim({{ col }}), 'ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜàâäçéèêëîïôöùûü', 'AAACEEEEIIOOUUUaaaceeeeiioouuu')), ' ', '_'), '-', '_'), chr(39), '_')
{%- endmacro %}

{# the code at the start of a text such as '2.3.3.1 - Accompagnements ...' #}
{% macro leading_code(col) -%}
    nullif(regexp_extract({{ col }}, '^[0-9]+([.][0-9]+)*', 0), '')
{%- endmacro %}

{# text in single quotes, for reasons: finess_et '12345' ... #}
{% macro quoted(col) -%}
    (chr(39) || coalesce({{ col }}, '') || chr(39))
{%- endmacro %}

{# FINESS check digit: Luhn over the 9 characters, a Corsican 2A or 2B read as 21 or 22 (every Corsican number
   of the FINESS open data checks that way); NULL for a value that is not a FINESS number #}
{% macro finess_luhn_ok(col) -%}
    {%- set digits = "(case when substr(" ~ col ~ ", 1, 2) = '2A' then '21' || substr(" ~ col ~ ", 3) "
                     ~ "when substr(" ~ col ~ ", 1, 2) = '2B' then '22' || substr(" ~ col ~ ", 3) else " ~ col ~ " end)" -%}
    case when {{ serafin.matches(col, '^(2A|2B|[0-9]{2})[0-9]{7}$') }} then (
        {%- for i in range(1, 10) %}
        {%- if i % 2 == 0 %}
        (case when cast(substr({{ digits }}, {{ i }}, 1) as integer) * 2 > 9
              then cast(substr({{ digits }}, {{ i }}, 1) as integer) * 2 - 9
              else cast(substr({{ digits }}, {{ i }}, 1) as integer) * 2 end)
        {%- else %}
        cast(substr({{ digits }}, {{ i }}, 1) as integer)
        {%- endif %}{{ ' +' if not loop.last }}
        {%- endfor %}
    ) % 10 = 0 end
{%- endmacro %}
