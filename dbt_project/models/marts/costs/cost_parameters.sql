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
select 'logistics_by_nights', '3.2.1.1', 'nights', 'héberger' union all
select 'logistics_by_nights', '3.2.3', 'nights', 'linge' union all
select 'logistics_by_presence_days', '3.2.2', 'presence_days', 'repas' union all
select 'logistics_by_presence_days', '3.2.4', 'presence_days', 'transports liés au projet individuel' union all
select 'night_modalities', 'internat', 'nights', '' union all
select 'night_modalities', 'hebergement', 'nights', ''
