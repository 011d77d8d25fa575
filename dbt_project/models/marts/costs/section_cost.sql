{#- One row per ESMS × year × section (at the depth recorded): personnel cost, other charges, cost,
    and its kind (direct, logistics, overhead). -#}
select
    sc.finess_et,
    sc.year,
    sc.section,
    c.label as section_label,
    sc.section_kind,
    sc.personnel_cost,
    sc.other_cost,
    sc.cost
from {{ ref('int_section_costs') }} as sc
left join {{ ref('serafin_codes') }} as c on c.code = sc.section
