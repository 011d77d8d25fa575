{#- Step 8. One row per ESMS × year × person × direct prestation: F(c) × h(p, c) / Σp h(p, c). -#}
with received as (
    select finess_et, year, prestation_code, sum(hours) as total_hours
    from {{ ref('int_person_hours') }}
    group by finess_et, year, prestation_code
)

select
    ph.finess_et,
    ph.year,
    ph.person_id,
    ph.prestation_code,
    ph.hours,
    f.full_cost * ph.hours / r.total_hours as direct_cost
from {{ ref('int_person_hours') }} as ph
inner join received as r
    on r.finess_et = ph.finess_et and r.year = ph.year and r.prestation_code = ph.prestation_code
inner join {{ ref('int_direct_full_cost') }} as f
    on f.finess_et = ph.finess_et and f.year = ph.year and f.prestation_code = ph.prestation_code
where r.total_hours > 0
