{{ config(materialized="view") }}
{#- The direct hours a person received: one row per year, person and realised (event, professional)
    pair on a direct prestation with a positive duration that the person attended (core.activity holds each
    (event, professional, person) once), with the pair's full duration (not divided among the persons
    attending) and the row's provider: its partner when set, else its ESMS (indicators.md, readings 7, 10). A
    view over core.activity: each indicator joins it to int_indicator_scopes. -#}
select
    a.year,
    a.person_id,
    a.finess_et,
    a.event_id,
    a.professional_id,
    a.prestation_code,
    a.duration_min / 60.0 as hours,
    a.setting,
    coalesce(a.partner_id, a.finess_et) as provider
from {{ ref('int_activity_realised') }} as a
inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.prestation_code
where k.section_kind = 'direct' and a.person_id is not null and a.duration_min > 0
