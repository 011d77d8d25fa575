{#- Direct hours (indicators.md): one row per scope, year and realised (event, professional) pair on a direct
    (2.x) prestation, the event identified within its ESMS. A pair's setting and partner are its first
    non-empty ones (by file and line); its duration is the pair's (the validation keeps one per pair);
    `inclusive` says whether its setting is an ordinary one (seed enumerations). -#}
with rows_ as (
    select a.*, k.section_kind
    from {{ ref('int_activity_realised') }} as a
    inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.prestation_code
    where k.section_kind = 'direct'
),

first_setting as (
    select finess_et, event_id, professional_id, setting
    from (
        select finess_et, event_id, professional_id, setting,
               row_number() over (partition by finess_et, event_id, professional_id order by _file, _line) as rank_
        from rows_
        where setting is not null
    ) as ranked
    where rank_ = 1
),

first_partner as (
    select finess_et, event_id, professional_id, partner_id
    from (
        select finess_et, event_id, professional_id, partner_id,
               row_number() over (partition by finess_et, event_id, professional_id order by _file, _line) as rank_
        from rows_
        where partner_id is not null
    ) as ranked
    where rank_ = 1
),

pairs as (
    select finess_et, year, event_id, professional_id, min(prestation_code) as prestation_code,
           max(duration_min) as duration_min
    from rows_
    group by finess_et, year, event_id, professional_id
)

select
    sc.scope,
    p.year,
    p.finess_et,
    p.event_id,
    p.professional_id,
    p.prestation_code,
    p.duration_min / 60.0 as hours,
    fs.setting,
    fp.partner_id,
    coalesce(e.inclusive, false) as inclusive
from pairs as p
left join first_setting as fs
    on fs.finess_et = p.finess_et and fs.event_id = p.event_id and fs.professional_id = p.professional_id
left join first_partner as fp
    on fp.finess_et = p.finess_et and fp.event_id = p.event_id and fp.professional_id = p.professional_id
left join {{ ref('enumerations') }} as e on e.enumeration = 'setting' and e.value = fs.setting
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et
