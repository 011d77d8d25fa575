{#- The open disability ESMS of the territory (the FINESS feed; categories of nomenclatures/esms_categories.csv,
    current and legacy codes), one row each: legal entity, department, category, coordinates for the map, authorised
    and installed places (capacity lines in force, unit places; per activity and status the largest line, since
    the other lines of an activity detail part of it), and whether it belongs to the cooperation (a member, or a
    partner through its FINESS in partners). territory_offer adds them up. -#}
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
)

select
    f.finess_et, f.finess_ej, f.name, f.legal_name, f.department, f.category, f.population, f.commune_code,
    f.city, f.longitude, f.latitude,
    coalesce(p.authorized_places, 0) as authorized_places,
    coalesce(p.installed_places, 0) as installed_places,
    c.finess_et is not null as in_cooperation
from {{ ref('finess_structures') }} as f
left join places as p on p.finess_et = f.finess_et
left join (select distinct finess_et from cooperation) as c on c.finess_et = f.finess_et
where f.is_open and f.category is not null and f.department is not null
