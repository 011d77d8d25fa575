{#- The stays of each scope that overlap each year (an open stay runs on): one row per scope, year and stay.
    The file active, the islands of days and the parcours start from here. -#}
select g.scope, g.year, s.stay_id, s.person_id, s.finess_et, s.start_date, s.end_date, s.modality
from {{ ref('int_indicator_grid') }} as g
inner join {{ ref('int_indicator_scopes') }} as sc on sc.scope = g.scope
inner join {{ ref('stays') }} as s
    on s.finess_et = sc.finess_et
    and s.start_date <= {{ serafin.year_end('g.year') }}
    and coalesce(s.end_date, {{ serafin.year_end('g.year') }}) >= {{ serafin.year_start('g.year') }}
