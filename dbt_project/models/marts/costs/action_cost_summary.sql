{#- The drill-down from a direct prestation to its actions (cost-method step 11), never a person: per ESMS, year,
    prestation, kind of professional and setting, the actions, their hours, their full and staff cost, the cost
    per action and per hour, and the rank of the line by full cost within its prestation (1 = the most costly).
    Professions and settings carry their French labels. -#}
with lines as (
    select
        finess_et,
        year,
        prestation_code,
        coalesce(profession, 'inconnue') as profession,
        coalesce(setting, 'non_renseigne') as setting,
        count(*) as actions,
        sum(hours) as hours,
        sum(full_cost) as full_cost,
        sum(staff_cost) as staff_cost
    from {{ ref('action_cost') }}
    where full_cost is not null
    group by finess_et, year, prestation_code, coalesce(profession, 'inconnue'), coalesce(setting, 'non_renseigne')
)

select
    l.finess_et,
    l.year,
    l.prestation_code,
    c.label as prestation_label,
    l.profession,
    coalesce(pr.label, l.profession) as profession_label,
    l.setting,
    coalesce(s.label, l.setting) as setting_label,
    l.actions,
    l.hours,
    l.full_cost,
    l.staff_cost,
    l.full_cost / l.actions as cost_per_action,
    l.full_cost / nullif(l.hours, 0) as cost_per_hour,
    row_number() over (partition by l.finess_et, l.year, l.prestation_code
                       order by round(l.full_cost, 2) desc nulls last, l.profession nulls last, l.setting nulls last) as rank_in_prestation
from lines as l
left join {{ ref('serafin_codes') }} as c on c.code = l.prestation_code
left join {{ ref('professions') }} as pr on pr.profession = l.profession
left join {{ ref('enumerations') }} as s on s.enumeration = 'setting' and s.value = l.setting
