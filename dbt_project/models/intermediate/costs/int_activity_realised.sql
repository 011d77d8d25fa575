{{ config(materialized="view") }}
{#- Realised activity rows with the year of their start (an event at 23:30 lasting two hours counts
    in the year it starts). Cancelled and planned events are left out. -#}
select
    event_id,
    person_id,
    finess_et,
    professional_id,
    prestation_code,
    cast(extract(year from started_at) as integer) as year,
    started_at,
    cast(started_at as date) as activity_date,
    cast(duration_min as double) as duration_min,
    setting,
    partner_id,
    outside_plan,
    _file,
    _line,
    _batch
from {{ ref('activity') }}
where status = 'realise'
  and {{ serafin.selected_years('extract(year from started_at)') }}
