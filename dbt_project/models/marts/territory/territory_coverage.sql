{#- How well the territory is covered: per department, category of disability ESMS and year, the authorised
    places (territory_offer, from the FINESS feed) per 1,000 inhabitants of the age band the category serves
    (var population_ages: children's ESMS 0-19, adults' 20-59 by default; the population rows whose band lies
    inside it; no population row: NULL, never 0), the persons waiting per authorised place (territory_demand),
    and the cooperation's file active per place: the persons of the members' file active (a stay overlapping the
    year) per authorised place of those members (establishments; a member without a department is not placed). Board-level: a ratio over fewer than var
    small_cell_k persons is suppressed (NULL). -#}
{% set k = serafin.setting('small_cell_k') %}
{% set ages = var('population_ages') %}
{% set members = serafin.cooperation().get('members', []) %}
with bands as (
    {% for population, band in ages.items() %}
    select '{{ population }}' as population, {{ band[0] }} as age_from, {{ band[1] }} as age_to
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

inhabitants as (
    select p.department, b.population, p.year, sum(p.population) as inhabitants
    from {{ ref('population') }} as p
    inner join bands as b on p.age_min >= b.age_from and p.age_max <= b.age_to
    group by p.department, b.population, p.year
),

members as (
    select e.finess_et, e.department, e.category, cast(coalesce(e.authorized_places, 0) as double) as places
    from {{ ref('establishments') }} as e
    where e.finess_et in {{ serafin.text_list(members) }} and e.department is not null  -- placed by its department
        and e.category is not null  -- and its category
),

member_file_active as (
    select m.department, m.category, f.year, count(distinct f.person_id) as file_active
    from members as m
    inner join {{ ref('int_file_active') }} as f on f.scope = m.finess_et
    group by m.department, m.category, f.year
),

member_places as (
    select department, category, sum(places) as places from members group by department, category
),

years as (
    select distinct year from inhabitants
    union
    select distinct year from {{ ref('territory_demand') }}
    union
    select distinct year from member_file_active
),

cells as (
    select o.department, o.category, y.year from {{ ref('territory_offer') }} as o cross join years as y
    union
    select department, category, year from {{ ref('territory_demand') }}
    union
    select department, category, year from member_file_active
)

select
    c.department,
    c.category,
    c.year,
    k.population as population_served,
    coalesce(o.authorized_places, 0) as authorized_places,
    i.inhabitants,
    coalesce(o.authorized_places, 0) * 1000.0 / nullif(i.inhabitants, 0) as places_per_1000,
    d.waiting_persons * 1.0 / nullif(o.authorized_places, 0) as waiting_per_place,
    case when f.file_active >= {{ k }} then f.file_active * 1.0 / nullif(mp.places, 0) end
        as cooperation_file_active_per_place
from cells as c
left join {{ ref('esms_categories') }} as k on k.short_label = c.category
left join {{ ref('territory_offer') }} as o on o.department = c.department and o.category = c.category
left join inhabitants as i on i.department = c.department and i.population = k.population and i.year = c.year
left join {{ ref('territory_demand') }} as d
    on d.department = c.department and d.category = c.category and d.year = c.year
left join member_file_active as f on f.department = c.department and f.category = c.category and f.year = c.year
left join member_places as mp on mp.department = c.department and mp.category = c.category
