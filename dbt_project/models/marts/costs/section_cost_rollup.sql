{#- One row per ESMS × year × nomenclature node: the cost of the sections at or below the node.
    A level-4 section counts in its level-3, 2 and 1 parents here; never add levels together. -#}
select
    sc.finess_et,
    sc.year,
    n.code,
    n.label,
    n.level,
    n.parent_code,
    sum(sc.cost) as cost,
    sum(sc.personnel_cost) as personnel_cost
from {{ ref('int_section_costs') }} as sc
inner join {{ ref('serafin_codes') }} as n
    on n.kind <> 'besoin'
    and {{ serafin.code_under('sc.section', 'n.code') }}
group by sc.finess_et, sc.year, n.code, n.label, n.level, n.parent_code
