{{ config(tags=['scenario']) }}
{#- One row per scenario × ESMS × year × rule (scenarios.md): the rule's kind, prestation or need, its unit
    and units (baseline euros, places, hours, persons, nights, presence days), the tariff used and the amount.
    base_share pays the share of the same year's baseline funding (0 when there is none), per_place the
    authorised places × the amount of the ESMS's category; the other kinds add up their persons' units
    (intermediate/funding/int_funding_person_units). The amounts add up to scenario_funding to the cent. -#}
with person_units as (
    select scenario, rule_no, finess_et, year, sum(units) as units, sum(amount) as amount
    from {{ ref('int_funding_person_units') }}
    group by scenario, rule_no, finess_et, year
)

select
    g.scenario,
    g.finess_et,
    g.year,
    r.rule,
    r.rule_no,
    r.kind,
    r.label,
    r.prestation_code,
    r.need_code,
    case r.kind
        when 'base_share' then 'euros de dotation'
        when 'per_place' then 'places autorisées'
        when 'per_hour' then 'heures'
        when 'per_person' then 'personnes'
        when 'per_night' then 'nuits'
        when 'per_presence_day' then 'journées de présence'
        when 'per_need_level' then 'personnes'
    end as unit,
    case r.kind
        when 'base_share' then b.baseline_funding
        when 'per_place' then g.authorized_places
        else coalesce(pu.units, 0)
    end as units,
    t.tariff,
    case r.kind
        when 'base_share' then coalesce(t.tariff * b.baseline_funding, 0)
        when 'per_place' then g.authorized_places * t.tariff
        else coalesce(pu.amount, 0)
    end as amount,
    t.note
from {{ ref('int_funding_grid') }} as g
inner join {{ ref('int_funding_rules') }} as r on r.scenario = g.scenario
inner join {{ ref('int_funding_tariffs') }} as t
    on t.scenario = g.scenario and t.rule_no = r.rule_no and t.finess_et = g.finess_et and t.year = g.year
left join {{ ref('int_funding_baseline') }} as b on b.finess_et = g.finess_et and b.year = g.year
left join person_units as pu
    on pu.scenario = g.scenario and pu.rule_no = r.rule_no and pu.finess_et = g.finess_et and pu.year = g.year
