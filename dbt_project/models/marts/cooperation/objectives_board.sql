{#- marts.objectives as a board or the COPIL sees them (cooperation.md): where the persons the actual counts are
    fewer than var small_cell_k, the actual, numerator, denominator and gap are withheld and the status says
    no_data, never a figure (`shown` false: reports print "< 5"). The targets stay: they are the board's own. -#}
select
    objective_id,
    year,
    strategic_objective,
    label,
    indicator_id,
    scope,
    direction,
    tolerance,
    target,
    case when shown then actual end as actual,
    case when shown then numerator end as numerator,
    case when shown then denominator end as denominator,
    case when shown then gap end as gap,
    case when shown then status else 'no_data' end as status,
    shown
from (
    select o.*, coalesce(o.persons >= {{ serafin.setting('small_cell_k') }}, false) or o.actual is null as shown
    from {{ ref('objectives') }} as o
) as s
