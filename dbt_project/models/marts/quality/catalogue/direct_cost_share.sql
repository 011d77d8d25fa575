{#- direct_cost_share: costs of the direct (2.x) sections before overhead, explicit 2.x ledger sections
    included (marts.section_cost) / charges in scope, over ESMS-years with ledger rows (reading 12). -#}
with direct as (
    select sc.scope, s.year, {{ serafin.exact_sum('s.cost') }} as direct_cost
    from {{ ref('section_cost') }} as s
    inner join {{ ref('cost_reconciliation') }} as r on r.finess_et = s.finess_et and r.year = s.year
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = s.finess_et
    where r.has_ledger and s.section_kind = 'direct'
    group by sc.scope, s.year
),

charges as (
    select sc.scope, r.year, {{ serafin.exact_sum('r.charges_in_scope') }} as charges
    from {{ ref('cost_reconciliation') }} as r
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = r.finess_et
    where r.has_ledger
    group by sc.scope, r.year
),

persons as (
    {{ serafin.costed_persons() }}
)

select g.scope, g.year, coalesce(d.direct_cost, 0) as numerator, coalesce(c.charges, 0) as denominator,
       coalesce(p.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join direct as d on d.scope = g.scope and d.year = g.year
left join charges as c on c.scope = g.scope and c.year = g.year
left join persons as p on p.scope = g.scope and p.year = g.year
