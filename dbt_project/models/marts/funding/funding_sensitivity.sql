{{ config(tags=['scenario']) }}
{#- One row per scenario × ESMS × year × rule × direction (scenarios.md, sensitivity): the scenario funding
    when that rule's tariff or amounts (the share, for base_share) are moved by -s (down) or +s (up), the
    other rules kept. Amounts move linearly (a moved share is not clipped), so the rule's amount moves by ±s. -#}
with totals as (
    select scenario, finess_et, year, sum(amount) as scenario_funding
    from {{ ref('funding_scenario_detail') }}
    group by scenario, finess_et, year
),

directions as (
    select 'down' as direction, -1.0 as sign_
    union all
    select 'up', 1.0
)

select
    d.scenario,
    d.finess_et,
    d.year,
    d.rule,
    dir.direction,
    d.rule_no,
    d.kind,
    dir.sign_ * r.sensitivity as moved_by,
    d.tariff * (1 + dir.sign_ * r.sensitivity) as tariff_moved,
    d.amount * (1 + dir.sign_ * r.sensitivity) as rule_amount,
    t.scenario_funding - d.amount + d.amount * (1 + dir.sign_ * r.sensitivity) as scenario_funding
from {{ ref('funding_scenario_detail') }} as d
inner join {{ ref('int_funding_rules') }} as r on r.scenario = d.scenario and r.rule_no = d.rule_no
inner join totals as t on t.scenario = d.scenario and t.finess_et = d.finess_et and t.year = d.year
cross join directions as dir
