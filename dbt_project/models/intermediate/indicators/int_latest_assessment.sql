{#- One row per (year, person, need) of the person's latest needs assessment dated on or before 31 December
    of the year: an assessment is all the needs rows of a person on one date, any source; the latest wins
    as a whole; a code given twice on that date keeps its highest level (indicators.md, reading 5). -#}
with years as (
    select distinct year from {{ ref('int_indicator_grid') }}
),

latest as (
    select y.year, n.person_id, max(n.assessed_on) as assessed_on
    from years as y
    inner join {{ ref('needs') }} as n on n.assessed_on <= {{ serafin.year_end('y.year') }}
    group by y.year, n.person_id
)

select l.year, l.person_id, l.assessed_on, n.need_code, max(n.level) as level
from latest as l
inner join {{ ref('needs') }} as n on n.person_id = l.person_id and n.assessed_on = l.assessed_on
group by l.year, l.person_id, l.assessed_on, n.need_code
