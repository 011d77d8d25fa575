{#- a view in the DuckDB warehouse file; a table on Spark, whose tables are copied into it (pipelines/spark_engine.py) -#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
{#- Step 11 of the cost method, per person: one row per person attending a realised action on a direct (2.x)
    prestation (intermediate/costs/int_person_actions). The person's share = the action's full cost / n persons
    × k(c), where k(c) = H(c) / Σp h(p, c) spreads the hours spent on c without any person over the persons who
    received c; so a person's shares of the year add up to the person's direct cost (person_cost), and with the
    persons' hours (duration / n) this is the drill-down from a person to their basket. Null costs in a year
    without a ledger. A view: one row per activity row, computed in a second from int_person_actions by a join
    with one factor per prestation; stored, it would copy the warehouse's largest table. -#}
with received as (
    -- Σp h(p, c): the hours the persons received on c (each action's duration split among its persons)
    select finess_et, year, prestation_code, sum(hours) as received_hours
    from {{ ref('int_person_actions') }}
    group by finess_et, year, prestation_code
),

per_hour as (
    -- F(c) / Σp h(p, c): the full cost of an hour received on c
    select f.finess_et, f.year, f.prestation_code, f.full_cost / r.received_hours as cost_per_received_hour
    from {{ ref('int_direct_full_cost') }} as f
    inner join received as r
        on r.finess_et = f.finess_et and r.year = f.year and r.prestation_code = f.prestation_code
    inner join {{ ref('int_esms_years') }} as ey on ey.finess_et = f.finess_et and ey.year = f.year
    where ey.has_ledger and r.received_hours > 0
)

select
    p.person_id,
    p.event_id,
    p.professional_id,
    p.finess_et,
    p.year,
    p.prestation_code,
    p.setting,
    p.hours,
    p.hours * h.cost_per_received_hour as cost
from {{ ref('int_person_actions') }} as p
left join per_hour as h
    on h.finess_et = p.finess_et and h.year = p.year and h.prestation_code = p.prestation_code
