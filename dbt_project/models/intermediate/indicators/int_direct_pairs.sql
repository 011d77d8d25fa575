{#- Direct hours (indicators.md): one row per scope, year and realised (event, professional) pair on a direct
    (2.x) prestation, the event identified within its ESMS. A pair's setting and partner are its first
    non-empty ones by file and line (found in the same pass: the smallest "file, line | value" key); its
    duration is the pair's (the validation keeps one per pair); `inclusive` says whether its setting is an
    ordinary one (seed enumerations). -#}
{% set order_key = "a._file || '#' || lpad(cast(a._line as " ~ dbt.type_string() ~ "), 12, '0') || '|'" %}
with pairs as (
    select
        a.finess_et, a.year, a.event_id, a.professional_id,
        min(a.prestation_code) as prestation_code,
        max(a.duration_min) as duration_min,
        min(case when a.setting is not null then {{ order_key }} || a.setting end) as setting_key,
        min(case when a.partner_id is not null then {{ order_key }} || a.partner_id end) as partner_key
    from {{ ref('int_activity_realised') }} as a
    inner join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.prestation_code
    where k.section_kind = 'direct'
    group by a.finess_et, a.year, a.event_id, a.professional_id
),

firsts as (
    select
        *,
        substr(setting_key, {{ serafin.text_position("'|'", 'setting_key') }} + 1) as setting,
        substr(partner_key, {{ serafin.text_position("'|'", 'partner_key') }} + 1) as partner_id
    from pairs
)

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
from firsts as p
left join {{ ref('enumerations') }} as e on e.enumeration = 'setting' and e.value = p.setting
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et
