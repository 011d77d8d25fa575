{#- Cost-method step 12. One row per ESMS × year × profession of the staff table, and one per ESMS × year for the
    ESMS as a whole (profession NULL): the paid hours (FTE × annual_hours_per_fte) and the recorded hours of the
    professionals with recorded time, their ratio (the traceability τ), the staff cost of the professionals without
    recorded time (their cost went to their profession's section) and a flag when τ is under traceability_warning
    (nomenclatures/cost_method_parameters.csv). A professional without recorded time, or without an FTE, is not in τ;
    hours recorded by professionals absent from the staff table are counted apart (the ESMS row only). -#}
with params as (
    select max(case when parameter = 'traceability_warning' then value end) as traceability_warning
    from {{ ref('cost_method_parameters') }}
),

professionals as (
    select
        finess_et, year, profession, annual_cost,
        recorded_hours > 0 and paid_hours is not null as in_traceability,
        recorded_hours = 0 as untraced,
        paid_hours, recorded_hours
    from {{ ref('int_professional_hours') }}
    where in_staff_table
),

by_profession as (
    select
        finess_et, year, profession,
        sum(case when in_traceability then paid_hours else 0 end) as paid_hours,
        sum(case when in_traceability then recorded_hours else 0 end) as recorded_hours,
        cast(sum(case when in_traceability then 1 else 0 end) as bigint) as professionals,
        cast(sum(case when untraced then 1 else 0 end) as bigint) as untraced_professionals,
        sum(annual_cost) as staff_cost,
        sum(case when untraced then annual_cost else 0 end) as untraced_staff_cost
    from professionals
    group by finess_et, year, profession
),

without_staff as (
    select finess_et, year, sum(recorded_hours) as hours_without_staff
    from {{ ref('int_professional_hours') }}
    where not in_staff_table
    group by finess_et, year
),

whole as (
    select
        ey.finess_et, ey.year, cast(null as {{ dbt.type_string() }}) as profession,
        coalesce(sum(b.paid_hours), 0) as paid_hours,
        coalesce(sum(b.recorded_hours), 0) as recorded_hours,
        cast(coalesce(sum(b.professionals), 0) as bigint) as professionals,
        cast(coalesce(sum(b.untraced_professionals), 0) as bigint) as untraced_professionals,
        coalesce(sum(b.staff_cost), 0) as staff_cost,
        coalesce(sum(b.untraced_staff_cost), 0) as untraced_staff_cost,
        coalesce(max(w.hours_without_staff), 0) as hours_without_staff
    from {{ ref('int_esms_years') }} as ey
    left join by_profession as b on b.finess_et = ey.finess_et and b.year = ey.year
    left join without_staff as w on w.finess_et = ey.finess_et and w.year = ey.year
    group by ey.finess_et, ey.year
),

rows_ as (
    select finess_et, year, profession, paid_hours, recorded_hours, professionals, untraced_professionals, staff_cost,
           untraced_staff_cost, hours_without_staff
    from whole
    union all
    select finess_et, year, profession, paid_hours, recorded_hours, professionals, untraced_professionals, staff_cost,
           untraced_staff_cost, cast(null as double) as hours_without_staff
    from by_profession
)

select
    r.finess_et,
    r.year,
    r.profession,
    coalesce(pr.label, r.profession, {{ serafin.sql_text("Ensemble de l'ESMS") }}) as profession_label,
    r.professionals,
    r.untraced_professionals,
    r.paid_hours,
    r.recorded_hours,
    r.recorded_hours / nullif(r.paid_hours, 0) as traceability,
    r.staff_cost,
    r.untraced_staff_cost,
    r.untraced_staff_cost / nullif(r.staff_cost, 0) as untraced_share,
    r.hours_without_staff,
    p.traceability_warning,
    coalesce(r.recorded_hours / nullif(r.paid_hours, 0) < p.traceability_warning, false) as flagged
from rows_ as r
cross join params as p
left join {{ ref('professions') }} as pr on pr.profession = r.profession
