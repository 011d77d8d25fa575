{{ config(tags=['scenario']) }}
{#- The persons each per_need_level rule counts, by level (scenarios.md): one row per scenario × ESMS × year ×
    rule × level (1, 2, 3) with the persons of the ESMS's file active whose highest level among the needs under
    the rule's code is that level, whether the rule pays the level or not, and the amount per person of the
    level (NULL: the rule does not pay it). persons × amount per person, over the levels, is the rule's amount in
    funding_scenario_detail; the simulator workbooks (reports/simulator.py) take their units from here. -#}
with levels as (
    select 1 as need_level
    union all
    select 2
    union all
    select 3
),

counted as (
    select scenario, rule_no, finess_et, year, need_level, cast(count(*) as double) as persons
    from {{ ref('int_funding_person_units') }}
    where need_level is not null
    group by scenario, rule_no, finess_et, year, need_level
)

select
    d.scenario,
    d.finess_et,
    d.year,
    d.rule,
    d.rule_no,
    l.need_level,
    coalesce(c.persons, 0) as persons,
    v.value_ as amount_per_person,
    coalesce(c.persons, 0) * coalesce(v.value_, 0) as amount
from {{ ref('funding_scenario_detail') }} as d
cross join levels as l
left join counted as c
    on c.scenario = d.scenario and c.rule_no = d.rule_no and c.finess_et = d.finess_et and c.year = d.year
    and c.need_level = l.need_level
left join {{ ref('int_funding_rule_values') }} as v
    on v.scenario = d.scenario and v.rule_no = d.rule_no and v.list = 'amount'
    and v.key_ = cast(l.need_level as {{ dbt.type_string() }})
where d.kind = 'per_need_level'
