{#- Step 3 and 7. One row per ESMS × year × professional × prestation code: minutes recorded, each
    (event_id, professional_id) counted once however many persons attended (int_actions). -#}
select
    finess_et,
    year,
    professional_id,
    prestation_code,
    sum(duration_min) as minutes,
    cast(count(*) as bigint) as events
from {{ ref('int_actions') }}
group by finess_et, year, professional_id, prestation_code
