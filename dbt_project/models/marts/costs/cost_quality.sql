{#- One row per ESMS × year: signals a finance director checks before trusting the costs (none of
    them fails the run): staff cost with no recorded time, FTE paid vs hours recorded, the personnel
    gap as a share of P_L, the personnel share of in-scope charges (expected 55-85 %), hours recorded
    by professionals absent from the staff table (partners, volunteers: hours without cost) and a
    warning for a year with activity or staff but no ledger (listed, not costed). -#}
with no_time as (
    select finess_et, year, sum(staff_cost) as staff_cost_no_time
    from {{ ref('int_staff_cost_by_section') }}
    where basis <> 'recorded time'
    group by finess_et, year
),

hours as (
    select
        t.finess_et,
        t.year,
        sum(t.minutes) / 60.0 as hours_recorded,
        sum(case when s.professional_id is null then t.minutes else 0 end) / 60.0 as hours_without_staff
    from {{ ref('int_professional_time') }} as t
    left join (select distinct finess_et, year, professional_id from {{ ref('staff') }}) as s
        on s.finess_et = t.finess_et and s.year = t.year and s.professional_id = t.professional_id
    group by t.finess_et, t.year
)

select
    r.finess_et,
    r.year,
    r.staff_cost,
    coalesce(nt.staff_cost_no_time, 0) as staff_cost_no_time,
    coalesce(nt.staff_cost_no_time, 0) / nullif(r.staff_cost, 0) as share_staff_cost_no_time,
    pt.fte_paid,
    coalesce(h.hours_recorded, 0) as hours_recorded,
    coalesce(h.hours_recorded, 0) / nullif(pt.fte_paid, 0) as hours_recorded_per_fte,
    coalesce(h.hours_without_staff, 0) as hours_without_staff,
    r.personnel_gap,
    r.personnel_gap / nullif(r.personnel_ledger, 0) as personnel_gap_share,
    r.personnel_ledger / nullif(r.charges_in_scope, 0) as personnel_share,
    case
        when r.charges_in_scope = 0 then null
        when r.personnel_ledger / r.charges_in_scope < 0.55 or r.personnel_ledger / r.charges_in_scope > 0.85
            then 'personnel share of in-scope charges ' || cast(round(100 * r.personnel_ledger / r.charges_in_scope, 1) as {{ dbt.type_string() }}) || ' % is outside 55-85 %'
    end as personnel_share_warning,
    case when not r.has_ledger
        then 'no ledger for this ESMS-year: its activity and staff are listed, no cost is computed'
    end as ledger_warning
from {{ ref('cost_reconciliation') }} as r
left join {{ ref('int_personnel_totals') }} as pt on pt.finess_et = r.finess_et and pt.year = r.year
left join no_time as nt on nt.finess_et = r.finess_et and nt.year = r.year
left join hours as h on h.finess_et = r.finess_et and h.year = r.year
