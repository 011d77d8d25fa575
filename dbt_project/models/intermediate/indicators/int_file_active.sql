{#- The file active: one row per (scope, year, person) with at least one stay at an ESMS of the scope
    overlapping the year; exit_date is the day the person left the scope when every such stay has ended
    (the latest end, capped at 31 December), else 31 December (the end of the review window). -#}
select
    scope,
    year,
    person_id,
    least(max(coalesce(end_date, {{ serafin.year_end('year') }})), {{ serafin.year_end('year') }}) as exit_date
from {{ ref('int_scope_stays') }}
group by scope, year, person_id
