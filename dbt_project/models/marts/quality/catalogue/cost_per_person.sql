{#- cost_per_person (€): charges allocated to persons (marts.cost_reconciliation) / persons with a total cost
    above 0 in marts.person_cost, each once in the scope; ESMS-years with ledger rows only (reading 12). -#}
with allocated as (
    select sc.scope, r.year, {{ serafin.exact_sum('r.allocated_to_persons') }} as allocated
    from {{ ref('cost_reconciliation') }} as r
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = r.finess_et
    where r.has_ledger
    group by sc.scope, r.year
),

persons as (
    {{ serafin.costed_persons() }}
)

select g.scope, g.year, coalesce(a.allocated, 0) as numerator, coalesce(p.persons, 0) as denominator,
       coalesce(p.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join allocated as a on a.scope = g.scope and a.year = g.year
left join persons as p on p.scope = g.scope and p.year = g.year
