{#- The direct hours a person received: one row per scope, year, person and realised (event, professional)
    pair on a direct prestation with a positive duration that the person attended, with the pair's full
    duration (not divided among the persons attending) and its provider (the partner when set, else the
    ESMS; indicators.md, readings 7 and 10). -#}
with rows_ as (
    select a.finess_et, a.year, a.person_id, a.event_id, a.professional_id, a.prestation_code, a.duration_min,
           a.partner_id
    from {{ ref('int_activity_realised') }} as a
    inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.prestation_code
    where k.section_kind = 'direct' and a.person_id is not null and a.duration_min > 0
)

select
    sc.scope, r.year, r.person_id, r.finess_et, r.event_id, r.professional_id,
    min(r.prestation_code) as prestation_code,
    max(r.duration_min) / 60.0 as hours,
    coalesce(max(r.partner_id), r.finess_et) as provider
from rows_ as r
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = r.finess_et
group by sc.scope, r.year, r.person_id, r.finess_et, r.event_id, r.professional_id
