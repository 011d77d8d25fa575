{#- One row per parameter the cost method used, so every report can print them beside the results. -#}
select 'method' as parameter, 'version' as key_, '{{ var("method_version") }}' as value_, '' as note
union all
select 'excluded_account_prefix', prefix, prefix, label from {{ ref('account_exclusions') }}
union all
select 'personnel_account_prefix', prefix, errd_group, label from {{ ref('account_groups') }} where is_personnel
union all
select 'account_section', prefix, section, note from {{ ref('account_sections') }}
union all
select 'profession_section', profession, section, note from {{ ref('profession_sections') }}
union all
select 'charge_class', 'class', '{{ var("charge_class") }}', 'PCG class of the charges (step 1)'
union all
select 'default_section', 'section', '{{ var("default_section") }}', 'section of a charge or salary with no section of its own'
union all
select 'section_kind', prefix, kind, label from {{ ref('section_kinds') }}
union all
select 'logistics_basis', prefix, logistics_basis, label from {{ ref('section_kinds') }} where kind = 'logistics'
union all
select 'night_modalities', value, 'nights', label from {{ ref('enumerations') }}
where enumeration = 'modality' and counts_nights
union all
select parameter, 'value', cast(value as {{ dbt.type_string() }}), note from {{ ref('cost_method_parameters') }}
