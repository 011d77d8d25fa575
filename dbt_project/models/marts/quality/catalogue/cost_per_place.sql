{#- cost_per_place (€): charges in scope / authorised places, over the scope's ESMS-years with ledger rows. -#}
with costed as (
    select sc.scope, r.year, {{ serafin.exact_sum('r.charges_in_scope') }} as charges,
           sum(e.authorized_places) as places
    from {{ ref('cost_reconciliation') }} as r
    inner join {{ ref('establishments') }} as e on e.finess_et = r.finess_et
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = r.finess_et
    where r.has_ledger
    group by sc.scope, r.year
),

persons as (
    {{ serafin.costed_persons() }}
)

select g.scope, g.year, coalesce(c.charges, 0) as numerator, coalesce(c.places, 0) as denominator,
       coalesce(p.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join costed as c on c.scope = g.scope and c.year = g.year
left join persons as p on p.scope = g.scope and p.year = g.year
