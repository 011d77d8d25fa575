{{ config(tags=['scenario']) }}
{#- One row per scenario × ESMS × year (scenarios.md): the baseline funding (the class 7 tarification products;
    NULL in a year without any), the other products shown apart, the scenario funding (the sum of its rules),
    delta = scenario - baseline and delta_share = delta / baseline (NULL without a baseline), and the
    sensitivity: the lowest and highest scenario funding with one rule moved by ±s, and the rule that moves it
    most (the largest swing, the first in file order on a tie). -#}
with funding as (
    select scenario, finess_et, year, sum(amount) as scenario_funding
    from {{ ref('funding_scenario_detail') }}
    group by scenario, finess_et, year
),

swings as (
    select
        scenario, finess_et, year, rule,
        max(scenario_funding) - min(scenario_funding) as swing,
        min(scenario_funding) as low_,
        max(scenario_funding) as high_,
        row_number() over (partition by scenario, finess_et, year
                           order by round(max(scenario_funding) - min(scenario_funding), 2) desc nulls last, min(rule_no) nulls last) as rank_
    from {{ ref('funding_sensitivity') }}
    group by scenario, finess_et, year, rule
),

bounds as (
    select
        scenario, finess_et, year,
        min(low_) as funding_low,
        max(high_) as funding_high,
        max(case when rank_ = 1 then rule end) as most_sensitive_rule
    from swings
    group by scenario, finess_et, year
)

select
    g.scenario,
    g.finess_et,
    g.year,
    e.name,
    e.category,
    p.baseline_funding,
    coalesce(p.other_products, 0) as other_products,
    f.scenario_funding,
    f.scenario_funding - p.baseline_funding as delta,
    (f.scenario_funding - p.baseline_funding) / nullif(p.baseline_funding, 0) as delta_share,
    b.funding_low,
    b.funding_high,
    b.most_sensitive_rule
from (select distinct scenario, finess_et, year from {{ ref('int_funding_grid') }}) as g
inner join {{ ref('establishments') }} as e on e.finess_et = g.finess_et
inner join funding as f on f.scenario = g.scenario and f.finess_et = g.finess_et and f.year = g.year
left join {{ ref('int_funding_baseline') }} as p on p.finess_et = g.finess_et and p.year = g.year
left join bounds as b on b.scenario = g.scenario and b.finess_et = g.finess_et and b.year = g.year
