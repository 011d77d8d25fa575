{{ config(materialized="view") }}
{#- Direct hours (indicators.md): one row per scope, year and realised (event, professional) pair on a direct
    (2.x) prestation, the event identified within its ESMS: the actions of int_actions (their first non-empty
    setting and partner by file and line, their duration) on a direct code; `inclusive` says whether the
    setting is an ordinary one (seed enumerations). A view: int_actions joined with small tables, read by
    inclusion_share and partner_share. -#}
select
    sc.scope,
    p.year,
    p.finess_et,
    p.event_id,
    p.professional_id,
    p.prestation_code,
    p.duration_min / 60.0 as hours,
    p.setting,
    p.partner_id,
    coalesce(e.inclusive, false) as inclusive
from {{ ref('int_actions') }} as p
inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = p.prestation_code
left join {{ ref('enumerations') }} as e on e.enumeration = 'setting' and e.value = p.setting
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et
where k.section_kind = 'direct'
