{#- Step 11 of the cost method, per person: one row per person attending a realised action on a direct (2.x)
    prestation. The person's share = the action's full cost / n persons × k(c), where k(c) = H(c) / Σp h(p, c)
    spreads the hours spent on c without any person over the persons who received c; so a person's shares of
    the year add up to the person's direct cost (person_cost), and with the persons' hours (duration / n) this
    is the drill-down from a person to their basket. Null costs in a year without a ledger. -#}
with received as (
    -- Σp h(p, c): the hours the persons received on c (each action's duration split among its persons)
    select finess_et, year, prestation_code, sum(hours) as received_hours
    from {{ ref('int_person_hours') }}
    group by finess_et, year, prestation_code
)

select
    r.person_id,
    r.event_id,
    r.professional_id,
    ac.finess_et,
    ac.year,
    ac.prestation_code,
    ac.setting,
    ac.hours / ac.persons as hours,
    ac.full_cost / ac.persons * f.professional_hours / rc.received_hours as cost
from {{ ref('int_activity_realised') }} as r
inner join {{ ref('action_cost') }} as ac
    on ac.finess_et = r.finess_et and ac.year = r.year and ac.event_id = r.event_id
    and ac.professional_id = r.professional_id
inner join {{ ref('int_direct_full_cost') }} as f
    on f.finess_et = ac.finess_et and f.year = ac.year and f.prestation_code = ac.prestation_code
inner join received as rc
    on rc.finess_et = ac.finess_et and rc.year = ac.year and rc.prestation_code = ac.prestation_code
where r.person_id is not null
