{{ config(tags=['scenario']) }}
{#- The hours of int_funding_hours as each scenario sees them: its shifts (int_funding_shifts) applied in file order
    (scenarios.md: the share of the hours on codes under the shift's prestation delivered in from_setting moves to
    to_setting; hours with no setting never move). One row per scenario × ESMS × year × person × prestation ×
    setting.
    The shifts move shares of hours, so they are worked out once on the few (prestation, setting) pairs of the hours:
    where each pair's hours end, and which fraction of them (`moves`, one step per shift number up to the var
    scenario_max_shifts, a constant of the project that pipelines/scenarios.py enforces), then applied to the hours
    in one join. No var of the run changes this SQL: `serafin scenario` runs it as compiled. -#}
{% set steps = var('scenario_max_shifts') %}
with scenarios as (
    select distinct scenario from {{ ref('int_funding_scenario_years') }}
),

pairs as (
    select distinct prestation_code, setting
    from {{ ref('int_funding_hours') }}
    where setting is not null
),

halves as (
    -- a shift splits what it matches in two: the share that moves (1) and what stays (0)
    select 0 as moved union all select 1 as moved
),

moves_0 as (
    select s.scenario, p.prestation_code, p.setting as origin, p.setting, cast(1 as double) as fraction
    from scenarios as s
    cross join pairs as p
    where s.scenario in (select scenario from {{ ref('int_funding_shifts') }})
),
{% for k in range(1, steps + 1) %}
moves_{{ k }} as (
    select
        m.scenario, m.prestation_code, m.origin,
        case when h.moved = 1 then sh.to_setting else m.setting end as setting,
        m.fraction * case when sh.scenario is null then 1.0 when h.moved = 1 then sh.share else 1 - sh.share end
            as fraction
    from moves_{{ k - 1 }} as m
    left join {{ ref('int_funding_shifts') }} as sh
        on sh.scenario = m.scenario and sh.shift_no = {{ k }} and sh.from_setting = m.setting
        and {{ serafin.code_under('m.prestation_code', 'sh.prestation_code') }}
    cross join halves as h
    where h.moved = 0 or sh.scenario is not null
),
{% endfor %}

moves as (
    select scenario, prestation_code, origin, setting, sum(fraction) as fraction
    from moves_{{ steps }}
    group by scenario, prestation_code, origin, setting
)

select
    s.scenario, h.finess_et, h.year, h.person_id, h.prestation_code,
    coalesce(m.setting, h.setting) as setting,
    sum(h.hours * coalesce(m.fraction, 1.0)) as hours
from {{ ref('int_funding_hours') }} as h
cross join scenarios as s
left join moves as m
    on m.scenario = s.scenario and m.prestation_code = h.prestation_code and m.origin = h.setting
group by s.scenario, h.finess_et, h.year, h.person_id, h.prestation_code, coalesce(m.setting, h.setting)
