{#- Step 9. One row per ESMS × year × person × logistics section: the section's cost spread by
    nights (3.2.1.1, 3.2.3) or presence days (3.2.2, 3.2.4); presence days also when nobody has nights. -#}
with totals as (
    select finess_et, year, sum(nights) as nights, sum(presence_days) as presence_days
    from {{ ref('int_person_logistics_units') }}
    group by finess_et, year
),

sections as (
    select
        sc.finess_et, sc.year, sc.section, sc.cost,
        case when sc.logistics_basis = 'nights' and coalesce(t.nights, 0) > 0
             then 'nights' else 'presence_days' end as basis,
        case when sc.logistics_basis = 'nights' and coalesce(t.nights, 0) > 0
             then t.nights else coalesce(t.presence_days, 0) end as total_units
    from {{ ref('int_section_costs') }} as sc
    left join totals as t on t.finess_et = sc.finess_et and t.year = sc.year
    where sc.section_kind = 'logistics'
)

select
    s.finess_et,
    s.year,
    u.person_id,
    s.section,
    s.basis,
    case when s.basis = 'nights' then u.nights else u.presence_days end as units,
    s.cost * (case when s.basis = 'nights' then u.nights else u.presence_days end) / s.total_units as logistics_cost
from sections as s
inner join {{ ref('int_person_logistics_units') }} as u on u.finess_et = s.finess_et and u.year = s.year
where s.total_units > 0
  and (case when s.basis = 'nights' then u.nights else u.presence_days end) > 0
