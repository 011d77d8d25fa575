{#-
  Enumerated columns (setting, status, modality, partner kind, funder, sex): their values and French
  synonyms are seeds (nomenclatures/enumerations.csv, enumeration_synonyms.csv), never lists in SQL.
-#}

{#- a left join giving `alias`.value, the canonical value of `text` in `enumeration` (NULL when it is none of
    its values or synonyms); a join, not a subquery, so it costs nothing on millions of rows -#}
{% macro enum_join(enumeration, text, alias) -%}
    left join {{ ref('stg_nomenclatures__enumeration_synonyms') }} as {{ alias }}
        on {{ alias }}.enumeration = '{{ enumeration }}' and {{ alias }}.synonym = {{ serafin.fold(text) }}
{%- endmacro %}

{#- the allowed values of `enumeration`, comma-separated, for a rejection reason -#}
{% macro enum_values_text(enumeration) -%}
    (select {{ serafin.sorted_list('e.value') }} from {{ ref('enumerations') }} as e
     where e.enumeration = '{{ enumeration }}')
{%- endmacro %}

{#- validation check: the text is present but is none of the enumeration's values or synonyms -#}
{% macro check_enum(column, enumeration) -%}
    {{ return({'column': column, 'when': column ~ '_raw is not null and ' ~ column ~ ' is null',
               'reason': "'" ~ column ~ " ' || " ~ serafin.quoted(column ~ '_raw') ~ " || ' is not one of ' || "
                         ~ serafin.enum_values_text(enumeration)}) }}
{%- endmacro %}

{#- the ESMS category (nomenclatures/esms_categories.csv) a text names: its FINESS code ('183', '183 - IME'), else
    its short label or label, case ignored ('IME', 'Institut médico-éducatif') -#}
{% macro esms_category_join(text, alias) -%}
    left join {{ ref('esms_categories') }} as {{ alias }}
        on {{ alias }}.category_code = {{ serafin.leading_code(text) }}
        or ({{ serafin.leading_code(text) }} is null
            and (upper({{ alias }}.short_label) = upper(trim(regexp_replace({{ text }}, '^[0-9]+ *-? *', '')))
                 or upper({{ alias }}.label) = upper(trim(regexp_replace({{ text }}, '^[0-9]+ *-? *', '')))))
{%- endmacro %}
