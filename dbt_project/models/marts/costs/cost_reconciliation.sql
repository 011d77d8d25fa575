{#- One row per ESMS × year: the ledger's class 6 charges split into excluded, hors champ and in
    scope, and the in-scope charges split into what reached persons and what did not. delta must be
    0 to the cent (tests/assert_costs_reconcile_to_ledger.sql fails the run otherwise). -#}
with charges as (
    select
        finess_et, year,
        {{ serafin.charge_buckets() }}
    from {{ ref('int_charges_classified') }}
    group by finess_et, year
),

allocated as (
    select finess_et, year, {{ serafin.exact_sum('total_cost') }} as allocated_to_persons
    from {{ ref('person_cost') }}
    group by finess_et, year
),

unallocated as (
    select finess_et, year, {{ serafin.exact_sum('amount') }} as unallocated
    from {{ ref('unallocated_cost') }}
    group by finess_et, year
)

select
    pt.finess_et,
    pt.year,
    coalesce(c.charges_total, 0) as charges_total,
    coalesce(c.charges_excluded, 0) as charges_excluded,
    coalesce(c.charges_hors_champ, 0) as charges_hors_champ,
    coalesce(c.charges_in_scope, 0) as charges_in_scope,
    pt.personnel_ledger,
    pt.staff_cost,
    pt.personnel_gap,
    coalesce(a.allocated_to_persons, 0) as allocated_to_persons,
    coalesce(u.unallocated, 0) as unallocated,
    coalesce(c.charges_in_scope, 0) - coalesce(a.allocated_to_persons, 0) - coalesce(u.unallocated, 0) as delta,
    coalesce(c.charges_total, 0) - coalesce(c.charges_excluded, 0) - coalesce(c.charges_hors_champ, 0)
        - coalesce(c.charges_in_scope, 0) as scope_delta,
    c.finess_et is not null as has_ledger
from {{ ref('int_personnel_totals') }} as pt
left join charges as c on c.finess_et = pt.finess_et and c.year = pt.year
left join allocated as a on a.finess_et = pt.finess_et and a.year = pt.year
left join unallocated as u on u.finess_et = pt.finess_et and u.year = pt.year
