{#- The offer of the territory (the shared diagnosis), from the FINESS feed of the landing folder: per
    department and category of disability ESMS (nomenclatures/esms_categories.csv, current and legacy codes),
    the open establishments, their gestionnaires (FINESS EJ), authorised and installed places (capacity lines
    in force, unit places; per activity and status the largest line, since the other lines of an activity
    detail part of it), and the places of the cooperation's members and partners (cooperation.yaml; a partner
    through its FINESS in partners) with their share. Counts of establishments and places, no person: nothing
    to suppress. -#}
{% set frame = serafin.cooperation() %}
with capacity as (
    select finess_et, activity_id, capacity_kind, max(quantity) as places
    from {{ ref('finess_capacities') }}
    where is_active and capacity_kind is not null and coalesce(unit, '02') = '02'
    group by finess_et, activity_id, capacity_kind
),

places as (
    select
        finess_et,
        sum(case when capacity_kind = 'autorisee' then places else 0 end) as authorized_places,
        sum(case when capacity_kind = 'installee' then places else 0 end) as installed_places
    from capacity
    group by finess_et
),

cooperation as (
    select finess_et, 'membre' as role_ from {{ ref('establishments') }}
    where finess_et in {{ serafin.text_list(frame.get('members', [])) }}
    union
    select finess as finess_et, 'partenaire' from {{ ref('partners') }}
    where finess is not null and partner_id in {{ serafin.text_list(frame.get('partners', [])) }}
),

esms as (
    select
        f.finess_et, f.finess_ej, f.department, f.category, f.population,
        coalesce(p.authorized_places, 0) as authorized_places,
        coalesce(p.installed_places, 0) as installed_places,
        c.finess_et is not null as in_cooperation
    from {{ ref('finess_structures') }} as f
    left join places as p on p.finess_et = f.finess_et
    left join (select distinct finess_et from cooperation) as c on c.finess_et = f.finess_et
    where f.is_open and f.category is not null and f.department is not null
)

select
    e.department,
    e.category,
    k.label as category_label,
    k.population,
    cast(count(*) as bigint) as establishments,
    cast(count(distinct e.finess_ej) as bigint) as gestionnaires,
    sum(e.authorized_places) as authorized_places,
    sum(e.installed_places) as installed_places,
    cast(sum(case when e.in_cooperation then 1 else 0 end) as bigint) as cooperation_establishments,
    sum(case when e.in_cooperation then e.authorized_places else 0 end) as cooperation_places,
    sum(case when e.in_cooperation then e.authorized_places else 0 end) * 1.0
        / nullif(sum(e.authorized_places), 0) as cooperation_share
from esms as e
left join {{ ref('esms_categories') }} as k on k.short_label = e.category
group by e.department, e.category, k.label, k.population
