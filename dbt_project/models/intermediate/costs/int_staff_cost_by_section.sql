{#- Step 3. One row per ESMS × year × professional × section: the professional's annual cost spread
    over the prestations of his recorded time; with no recorded time, all of it to the section of his
    profession (nomenclatures/profession_sections.csv), else var default_section. -#}
with staff as (
    select finess_et, year, professional_id, profession, cast(annual_cost as double) as annual_cost, fte
    from {{ ref('staff') }}
    where {{ serafin.selected_years('year') }}
),

time_total as (
    select finess_et, year, professional_id, sum(minutes) as total_minutes
    from {{ ref('int_professional_time') }}
    group by finess_et, year, professional_id
)

select
    s.finess_et, s.year, s.professional_id, s.profession,
    t.prestation_code as section,
    s.annual_cost * t.minutes / tt.total_minutes as staff_cost,
    'recorded time' as basis
from staff as s
inner join time_total as tt
    on tt.finess_et = s.finess_et and tt.year = s.year and tt.professional_id = s.professional_id
    and tt.total_minutes > 0
inner join {{ ref('int_professional_time') }} as t
    on t.finess_et = s.finess_et and t.year = s.year and t.professional_id = s.professional_id

union all

select
    s.finess_et, s.year, s.professional_id, s.profession,
    coalesce(ps.section, '{{ var("default_section") }}') as section,
    s.annual_cost as staff_cost,
    case when ps.section is null then 'no recorded time, profession unmapped: {{ var("default_section") }}'
         else 'no recorded time: section of the profession' end as basis
from staff as s
left join time_total as tt
    on tt.finess_et = s.finess_et and tt.year = s.year and tt.professional_id = s.professional_id
left join {{ ref('profession_sections') }} as ps on ps.profession = s.profession
where tt.total_minutes is null or tt.total_minutes <= 0
