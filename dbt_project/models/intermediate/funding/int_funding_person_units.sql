{{ config(tags=['scenario']) }}
{#- The units the person-based rules pay (scenarios.md), one row per scenario × rule × ESMS × year × person
    (person NULL: the hours of actions without any person, which only the ESMS-level per_hour units count):
    per_hour the person's attributed hours on the matching actions after the shifts (settings, when the rule
    has some); per_person 1 for a person with realised time on the prestation; per_night the nights;
    per_presence_day the presence days (cost-method step 9); per_need_level 1 for a person of the ESMS's file
    active whose highest level among the needs under the code in the latest assessment on or before
    31 December (need_level; units 0 and amount 0 when the level has no amount, so that the simulator workbooks
    can count the persons of every level). amount = units × the rule's tariff (per_need_level: the level's
    amount). -#}
with rules as (
    select g.scenario, g.finess_et, g.year, r.rule_no, r.kind, r.prestation_code, r.need_code, r.has_settings,
           t.tariff
    from {{ ref('int_funding_grid') }} as g
    inner join {{ ref('int_funding_rules') }} as r on r.scenario = g.scenario
    inner join {{ ref('int_funding_tariffs') }} as t
        on t.scenario = g.scenario and t.rule_no = r.rule_no and t.finess_et = g.finess_et and t.year = g.year
),

settings as (
    select scenario, rule_no, key_ as setting from {{ ref('int_funding_rule_values') }} where list = 'setting'
),

per_hour as (
    select r.scenario, r.rule_no, r.finess_et, r.year, h.person_id, sum(h.hours) as units, max(r.tariff) as tariff
    from rules as r
    inner join {{ ref('int_funding_scenario_hours') }} as h
        on h.scenario = r.scenario and h.finess_et = r.finess_et and h.year = r.year
        and {{ serafin.code_under('h.prestation_code', 'r.prestation_code') }}
    left join settings as s on s.scenario = r.scenario and s.rule_no = r.rule_no and s.setting = h.setting
    where r.kind = 'per_hour' and (not r.has_settings or s.setting is not null)
    group by r.scenario, r.rule_no, r.finess_et, r.year, h.person_id
),

per_person as (
    select r.scenario, r.rule_no, r.finess_et, r.year, h.person_id, 1.0 as units, max(r.tariff) as tariff
    from rules as r
    inner join {{ ref('int_funding_hours') }} as h
        on h.finess_et = r.finess_et and h.year = r.year
        and {{ serafin.code_under('h.prestation_code', 'r.prestation_code') }}
    where r.kind = 'per_person' and h.person_id is not null and h.hours > 0
    group by r.scenario, r.rule_no, r.finess_et, r.year, h.person_id
),

logistics_units as (
    select r.scenario, r.rule_no, r.finess_et, r.year, u.person_id,
           cast(case when r.kind = 'per_night' then u.nights else u.presence_days end as double) as units, r.tariff
    from rules as r
    inner join {{ ref('int_person_logistics_units') }} as u on u.finess_et = r.finess_et and u.year = r.year
    where r.kind in ('per_night', 'per_presence_day')
      and (case when r.kind = 'per_night' then u.nights else u.presence_days end) > 0
),

need_levels as (
    select r.scenario, r.rule_no, r.finess_et, r.year, f.person_id, max(n.level) as level
    from rules as r
    inner join {{ ref('int_file_active') }} as f on f.scope = r.finess_et and f.year = r.year
    inner join {{ ref('int_latest_assessment') }} as n
        on n.year = r.year and n.person_id = f.person_id
        and {{ serafin.code_under('n.need_code', 'r.need_code') }}
    where r.kind = 'per_need_level'
    group by r.scenario, r.rule_no, r.finess_et, r.year, f.person_id
),

per_need_level as (
    select l.scenario, l.rule_no, l.finess_et, l.year, l.person_id, l.level,
           case when v.value_ is null then 0.0 else 1.0 end as units, coalesce(v.value_, 0) as amount
    from need_levels as l
    left join {{ ref('int_funding_rule_values') }} as v
        on v.scenario = l.scenario and v.rule_no = l.rule_no and v.list = 'amount'
        and v.key_ = cast(l.level as {{ dbt.type_string() }})
)

select scenario, rule_no, finess_et, year, person_id, cast(null as integer) as need_level, units,
       units * coalesce(tariff, 0) as amount
from per_hour
union all
select scenario, rule_no, finess_et, year, person_id, cast(null as integer), units, units * coalesce(tariff, 0)
from per_person
union all
select scenario, rule_no, finess_et, year, person_id, cast(null as integer), units, units * coalesce(tariff, 0)
from logistics_units
union all
select scenario, rule_no, finess_et, year, person_id, cast(level as integer), units, amount from per_need_level
