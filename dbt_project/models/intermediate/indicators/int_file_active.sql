{#- The file active: one row per (scope, year, person) with at least one stay at an ESMS of the scope
    overlapping the year; exit_date is the day the person left the scope when every such stay has ended
    (the latest end, capped at 31 December), else 31 December (the end of the review window). -#}
select
    g.scope,
    g.year,
    s.person_id,
    least(max(coalesce(s.end_date, {{ serafin.year_end('g.year') }})), {{ serafin.year_end('g.year') }}) as exit_date
from {{ ref('int_indicator_grid') }} as g
inner join {{ ref('int_indicator_scopes') }} as sc on sc.scope = g.scope
inner join {{ ref('stays') }} as s
    on s.finess_et = sc.finess_et
    and s.start_date <= {{ serafin.year_end('g.year') }}
    and coalesce(s.end_date, {{ serafin.year_end('g.year') }}) >= {{ serafin.year_start('g.year') }}
group by g.scope, g.year, s.person_id
