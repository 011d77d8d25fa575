{#- Cost-method step 5. One row per SERAFIN-PH prestation code (2.x, 3.x, hierarchy nodes included): its
    kind for the costing (direct, logistics, overhead) and, for logistics, the basis its cost is spread on
    (nights or presence days), from the longest matching prefix of nomenclatures/section_kinds.csv. -#}
with matched as (
    select
        c.code,
        k.kind,
        k.logistics_basis,
        row_number() over (partition by c.code order by length(k.prefix) desc nulls last) as rank_
    from {{ ref('serafin_codes') }} as c
    inner join {{ ref('section_kinds') }} as k
        on {{ serafin.code_under('c.code', 'k.prefix') }}
    where c.kind in ('prestation_directe', 'prestation_indirecte')
)

select code as section, kind as section_kind, logistics_basis
from matched
where rank_ = 1
