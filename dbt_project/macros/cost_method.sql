{#-
  Rules of the cost method (cost-method.md) that several models apply. Its parameters live in
  nomenclatures/ (seeds) and in dbt_project.yml vars (charge_class, default_section); the section kinds
  and logistics bases of step 5 and 9 are the seed section_kinds.csv (staging/nomenclatures).
-#}

{#- Step 1: a charge is a ledger line of the charge class (PCG class 6) -#}
{% macro is_charge_account(account) -%}
    substr({{ account }}, 1, {{ var('charge_class') | length }}) = '{{ var("charge_class") }}'
{%- endmacro %}

{#- Step 2: the four buckets of the charges (int_charges_classified.charge_kind), summed -#}
{% macro charge_buckets(amount='amount', kind='charge_kind') -%}
    sum({{ amount }}) as charges_total,
    sum(case when {{ kind }} = 'excluded' then {{ amount }} else 0 end) as charges_excluded,
    sum(case when {{ kind }} = 'hors_champ' then {{ amount }} else 0 end) as charges_hors_champ,
    sum(case when {{ kind }} in ('personnel', 'other') then {{ amount }} else 0 end) as charges_in_scope
{%- endmacro %}

{#- an account matches a prefix of a parameter seed (account_sections, account_groups, ...); the longest
    matching prefix wins (rank 1 of `prefix_rank`) -#}
{% macro prefix_matches(account, prefix) -%}
    substr({{ account }}, 1, length({{ prefix }})) = {{ prefix }}
{%- endmacro %}

{% macro prefix_rank(partition, prefix) -%}
    row_number() over (partition by {{ partition }} order by length({{ prefix }}) desc nulls last)
{%- endmacro %}
