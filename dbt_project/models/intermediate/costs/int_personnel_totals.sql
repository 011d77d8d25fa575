{#- Step 2. One row per ESMS × year: P_L (personnel charges in the ledger, in scope), S (staff
    table cost) and the gap G = P_L - S, spread over sections in proportion to staff cost. -#}
with ledger_personnel as (
    select finess_et, year, sum(amount) as personnel_ledger
    from {{ ref('int_charges_classified') }}
    where charge_kind = 'personnel'
    group by finess_et, year
),

staff as (
    select finess_et, year, sum(cast(annual_cost as double)) as staff_cost, sum(cast(fte as double)) as fte
    from {{ ref('staff') }}
    where {{ serafin.selected_years('year') }}
    group by finess_et, year
)

select
    ey.finess_et,
    ey.year,
    coalesce(lp.personnel_ledger, 0) as personnel_ledger,
    coalesce(st.staff_cost, 0) as staff_cost,
    coalesce(lp.personnel_ledger, 0) - coalesce(st.staff_cost, 0) as personnel_gap,
    coalesce(st.fte, 0) as fte_paid
from {{ ref('int_esms_years') }} as ey
left join ledger_personnel as lp on lp.finess_et = ey.finess_et and lp.year = ey.year
left join staff as st on st.finess_et = ey.finess_et and st.year = ey.year
