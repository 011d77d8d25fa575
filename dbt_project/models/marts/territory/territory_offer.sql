{#- The offer of the territory (the shared diagnosis), from the FINESS feed of the landing folder: per
    department and category of disability ESMS, the open establishments (territory_establishments), their
    gestionnaires (FINESS EJ), authorised and installed places, and the places of the cooperation's members and
    partners (cooperation.yaml) with their share. Counts of establishments and places, no person: nothing to
    suppress. -#}
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
from {{ ref('territory_establishments') }} as e
left join {{ ref('esms_categories') }} as k on k.short_label = e.category
group by e.department, e.category, k.label, k.population
