{#- Step 3 and 7. One row per ESMS × year × professional × prestation code: minutes recorded, each
    (event_id, professional_id) counted once however many persons attended. -#}
with events as (
    select finess_et, year, event_id, professional_id, prestation_code, max(duration_min) as duration_min
    from {{ ref('int_activity_realised') }}
    group by finess_et, year, event_id, professional_id, prestation_code
)

select
    finess_et,
    year,
    professional_id,
    prestation_code,
    sum(duration_min) as minutes,
    cast(count(*) as bigint) as events
from events
group by finess_et, year, professional_id, prestation_code
