{#- Each member's and partner's contribution to the cooperation (cooperation.yaml), per year: the direct hours
    delivered in the members' activity (each realised (event, professional) pair on a 2.x prestation once, as the
    indicators count them), by its provider (the partner of the row when set, else the member ESMS), the hours in
    ordinary settings and their share of the hours with a known setting (inclusion_share's rule), the provider's share of the cooperation's direct hours, and the persons
    who received them. Board-level: a line whose persons are fewer than var small_cell_k shows no figure
    (`shown` false; reports print "< 5"). Partners not listed in cooperation.yaml are kept, as `autre_partenaire`. -#}
{% set frame = serafin.cooperation() %}
with pairs as (
    select p.year, p.finess_et, coalesce(p.partner_id, p.finess_et) as provider, p.hours, p.inclusive,
           p.setting is not null as setting_known
    from {{ ref('int_direct_pairs') }} as p
    where p.scope = 'cooperation'
),

persons as (
    select p.year, p.provider, count(distinct p.person_id) as persons
    from {{ ref('int_person_direct_pairs') }} as p
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et and sc.scope = 'cooperation'
    group by p.year, p.provider
),

hours as (
    select year, provider, sum(hours) as direct_hours,
           sum(case when inclusive then hours else 0 end) as ordinary_setting_hours,
           sum(case when setting_known then hours else 0 end) as setting_known_hours
    from pairs
    group by year, provider
),

totals as (
    select year, sum(direct_hours) as cooperation_hours from hours group by year
),

lines as (
    select
        h.year,
        case
            when h.provider in {{ serafin.text_list(frame.get('members', [])) }} then 'membre'
            when h.provider in {{ serafin.text_list(frame.get('partners', [])) }} then 'partenaire'
            else 'autre_partenaire'
        end as contributor_kind,
        h.provider as contributor_id,
        coalesce(e.name, pa.name, h.provider) as contributor_name,
        h.direct_hours,
        h.ordinary_setting_hours,
        h.ordinary_setting_hours / nullif(h.setting_known_hours, 0) as ordinary_share,
        h.direct_hours / nullif(t.cooperation_hours, 0) as share_of_hours,
        coalesce(p.persons, 0) as persons
    from hours as h
    inner join totals as t on t.year = h.year
    left join persons as p on p.year = h.year and p.provider = h.provider
    left join {{ ref('establishments') }} as e on e.finess_et = h.provider
    left join {{ ref('partners') }} as pa on pa.partner_id = h.provider
)

select
    year,
    contributor_kind,
    contributor_id,
    contributor_name,
    case when persons >= {{ serafin.setting('small_cell_k') }} then direct_hours end as direct_hours,
    case when persons >= {{ serafin.setting('small_cell_k') }} then ordinary_setting_hours end as ordinary_setting_hours,
    case when persons >= {{ serafin.setting('small_cell_k') }} then ordinary_share end as ordinary_share,
    case when persons >= {{ serafin.setting('small_cell_k') }} then share_of_hours end as share_of_hours,
    case when persons >= {{ serafin.setting('small_cell_k') }} then persons end as persons,
    persons >= {{ serafin.setting('small_cell_k') }} as shown
from lines
