{#- a view in the DuckDB warehouse file; a table on Spark, whose tables are copied into it (pipelines/spark_engine.py) -#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
{#- Step 11 of the cost method. One row per realised action (one professional's intervention: an (event_id,
    professional_id) of an ESMS and year, with or without persons): its hours, the persons attending, its full
    cost = hours × the cost per hour of its prestation (so the actions on a direct prestation add up to its
    full cost), the professional's own staff cost (A(k,c) × (1 + G/S) × the action's minutes / m(k,c), that is
    his scaled annual cost × the action's share of his recorded minutes; zero for a professional absent from
    the staff table) and the full cost per person attending. An action on a 3.x code has a staff cost and no
    full cost. In a year without a ledger the costs are null (unknown, not zero), as in cost_per_prestation.
    A view: int_actions (a table) joined with one rate per professional and one per prestation; stored, it would
    copy int_actions. -#}
with recorded as (
    select finess_et, year, professional_id, sum(minutes) as total_minutes
    from {{ ref('int_professional_time') }}
    group by finess_et, year, professional_id
),

staff_rate as (
    -- euros per recorded minute of each professional of the staff table
    select
        s.finess_et, s.year, s.professional_id, s.profession,
        cast(s.annual_cost as double) * (1 + pt.personnel_gap / pt.staff_cost) / r.total_minutes as cost_per_minute
    from {{ ref('staff') }} as s
    inner join {{ ref('int_personnel_totals') }} as pt on pt.finess_et = s.finess_et and pt.year = s.year
    inner join recorded as r
        on r.finess_et = s.finess_et and r.year = s.year and r.professional_id = s.professional_id
    where pt.staff_cost <> 0 and r.total_minutes > 0
)

select
    a.finess_et,
    a.year,
    a.event_id,
    a.professional_id,
    a.prestation_code,
    sr.profession,
    a.started_at,
    a.setting,
    a.partner_id,
    a.duration_min / 60.0 as hours,
    a.persons,
    case when ey.has_ledger then f.cost_per_hour * a.duration_min / 60.0 end as full_cost,
    case when ey.has_ledger then coalesce(sr.cost_per_minute * a.duration_min, 0) end as staff_cost,
    case when ey.has_ledger and a.persons > 0
         then f.cost_per_hour * a.duration_min / 60.0 / a.persons end as cost_per_person
from {{ ref('int_actions') }} as a
inner join {{ ref('int_esms_years') }} as ey on ey.finess_et = a.finess_et and ey.year = a.year
left join {{ ref('int_direct_full_cost') }} as f
    on f.finess_et = a.finess_et and f.year = a.year and f.prestation_code = a.prestation_code
left join staff_rate as sr
    on sr.finess_et = a.finess_et and sr.year = a.year and sr.professional_id = a.professional_id
