{#- One row per ESMS × year that has a ledger, staff or realised activity: the scope of the cost method.
    has_ledger is false when the year has staff or activity but no class 6 charge: such a year is listed
    (marts.cost_reconciliation, marts.cost_quality) but no cost is computed for it. -#}
with years as (
    select finess_et, year from {{ ref('ledger') }} where {{ serafin.selected_years('year') }}
    union
    select finess_et, year from {{ ref('staff') }} where {{ serafin.selected_years('year') }}
    union
    select finess_et, year from {{ ref('int_activity_realised') }}
),

ledger_years as (
    select distinct finess_et, year
    from {{ ref('ledger') }}
    where {{ serafin.is_charge_account('account') }}
)

select
    y.finess_et,
    y.year,
    l.finess_et is not null as has_ledger
from years as y
left join ledger_years as l on l.finess_et = y.finess_et and l.year = y.year
