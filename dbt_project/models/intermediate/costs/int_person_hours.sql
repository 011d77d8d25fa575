{#- Step 8. One row per ESMS × year × person × prestation: attributed hours; in an (event,
    professional) with n persons each person receives duration / n. -#}
with event_persons as (
    -- core.activity holds each (event_id, professional_id, person_id) once, with one prestation and one
    -- duration per (event_id, professional_id): the validation rejects the rest
    select finess_et, year, event_id, professional_id, prestation_code, person_id, duration_min
    from {{ ref('int_activity_realised') }}
    where person_id is not null
),

attendance as (
    select finess_et, year, event_id, professional_id, count(*) as persons
    from event_persons
    group by finess_et, year, event_id, professional_id
)

select
    ep.finess_et,
    ep.year,
    ep.person_id,
    ep.prestation_code,
    sum(ep.duration_min / a.persons) / 60.0 as hours
from event_persons as ep
inner join attendance as a
    on a.finess_et = ep.finess_et and a.year = ep.year and a.event_id = ep.event_id
    and a.professional_id = ep.professional_id
group by ep.finess_et, ep.year, ep.person_id, ep.prestation_code
