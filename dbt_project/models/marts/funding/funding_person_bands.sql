{{ config(tags=['scenario']) }}
{#- The per-person view of a scenario, in bands only (scenarios.md): each person of marts.person_cost receives
    the amounts of the person-based rules for their own units (per_hour by their attributed hours on the
    matching actions, per_person, per_night, per_presence_day, per_need_level) and a share of base_share and
    per_place in proportion to their total cost; the attributed funding is compared with their total cost:
    covered within ±20 %, under-covered by more than 20 %, over-covered by more than 20 %. One row per
    scenario × ESMS × year × band: persons, their funding and cost; no person id leaves this model. -#}
with esms_rules as (
    select scenario, finess_et, year, sum(amount) as amount
    from {{ ref('funding_scenario_detail') }}
    where kind in ('base_share', 'per_place')
    group by scenario, finess_et, year
),

costs as (
    select pc.finess_et, pc.year, pc.person_id, pc.total_cost,
           sum(pc.total_cost) over (partition by pc.finess_et, pc.year) as esms_cost
    from {{ ref('person_cost') }} as pc
),

own_units as (
    select scenario, finess_et, year, person_id, sum(amount) as amount
    from {{ ref('int_funding_person_units') }}
    where person_id is not null
    group by scenario, finess_et, year, person_id
),

persons as (
    select
        g.scenario, c.finess_et, c.year, c.person_id, c.total_cost,
        coalesce(o.amount, 0)
            + coalesce(er.amount * c.total_cost / nullif(c.esms_cost, 0), 0) as funding
    from (select distinct scenario, finess_et, year from {{ ref('int_funding_grid') }}) as g
    inner join costs as c on c.finess_et = g.finess_et and c.year = g.year
    left join own_units as o
        on o.scenario = g.scenario and o.finess_et = c.finess_et and o.year = c.year and o.person_id = c.person_id
    left join esms_rules as er on er.scenario = g.scenario and er.finess_et = c.finess_et and er.year = c.year
),

banded as (
    select
        *,
        case
            when total_cost <= 0 and funding <= 0 then 'covered'
            when total_cost <= 0 then 'over_covered'
            when funding < 0.8 * total_cost then 'under_covered'
            when funding > 1.2 * total_cost then 'over_covered'
            else 'covered'
        end as band
    from persons
)

select
    scenario,
    finess_et,
    year,
    band,
    case band
        when 'covered' then 'couvert à ±20 %'
        when 'under_covered' then 'sous-couvert de plus de 20 %'
        else 'sur-couvert de plus de 20 %'
    end as band_label,
    cast(count(*) as bigint) as persons,
    sum(funding) as funding,
    sum(total_cost) as total_cost
from banded
group by scenario, finess_et, year, band
