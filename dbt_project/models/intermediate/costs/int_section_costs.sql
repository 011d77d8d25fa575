{#- Step 4-5. One row per ESMS × year × section: personnel cost (staff cost by section, scaled by
    1 + G/S so that it adds up to the ledger's personnel charges), other in-scope charges, and the
    kind of section. Direct prestations with recorded hours but no cost are kept with cost 0. -#}
with personnel as (
    select s.finess_et, s.year, s.section,
           sum(s.staff_cost) * (1 + pt.personnel_gap / pt.staff_cost) as personnel_cost
    from {{ ref('int_staff_cost_by_section') }} as s
    inner join {{ ref('int_personnel_totals') }} as pt on pt.finess_et = s.finess_et and pt.year = s.year
    where pt.staff_cost <> 0
    group by s.finess_et, s.year, s.section, pt.personnel_gap, pt.staff_cost

    union all

    -- no staff table for the ESMS-year: the ledger's personnel charges go to the default section
    select finess_et, year, '{{ var("default_section") }}', personnel_ledger
    from {{ ref('int_personnel_totals') }}
    where staff_cost = 0 and personnel_ledger <> 0
),

other as (
    select finess_et, year, section, sum(amount) as other_cost
    from {{ ref('int_charges_classified') }}
    where charge_kind = 'other'
    group by finess_et, year, section
),

recorded as (
    select distinct finess_et, year, prestation_code as section
    from {{ ref('int_professional_time') }}
),

all_sections as (
    select finess_et, year, section, personnel_cost, cast(0 as double) as other_cost from personnel
    union all
    select finess_et, year, section, cast(0 as double), other_cost from other
    union all
    select finess_et, year, section, cast(0 as double), cast(0 as double) from recorded
)

select
    a.finess_et,
    a.year,
    a.section,
    k.section_kind,
    k.logistics_basis,
    sum(a.personnel_cost) as personnel_cost,
    sum(a.other_cost) as other_cost,
    sum(a.personnel_cost) + sum(a.other_cost) as cost
from all_sections as a
left join {{ ref('stg_nomenclatures__sections') }} as k on k.section = a.section
group by a.finess_et, a.year, a.section, k.section_kind, k.logistics_basis
