{#- The path of each ESMS-year's charges from the accounts to the persons (cost-method steps 1, 5, 6, 8, 9), as
    flows between stages a Sankey or a waterfall draws: charges → excluded, hors champ, in scope; in scope →
    direct prestations (2.x), overhead, person-attached logistics; overhead → direct prestations or unallocated;
    direct prestations → persons or unallocated; logistics → persons or unallocated. Each stage's inflows equal
    its outflows to the cent (cost_reconciliation's identities). French labels: the reports show them as is. -#}
with kinds as (
    select finess_et, year,
           sum(case when section_kind = 'direct' then cost else 0 end) as direct_cost,
           sum(case when section_kind = 'overhead' then cost else 0 end) as overhead_cost,
           sum(case when section_kind = 'logistics' then cost else 0 end) as logistics_cost
    from {{ ref('int_section_costs') }}
    group by finess_et, year
),

lost as (
    select finess_et, year,
           sum(case when reason = 'no_direct_cost' then amount else 0 end) as overhead_unallocated,
           sum(case when reason = 'no_person_received' then amount else 0 end) as direct_unallocated,
           sum(case when reason = 'no_units' then amount else 0 end) as logistics_unallocated
    from {{ ref('unallocated_cost') }}
    group by finess_et, year
),

figures as (
    select r.finess_et, r.year, r.charges_total, r.charges_excluded, r.charges_hors_champ, r.charges_in_scope,
           coalesce(k.direct_cost, 0) as direct_cost, coalesce(k.overhead_cost, 0) as overhead_cost,
           coalesce(k.logistics_cost, 0) as logistics_cost,
           coalesce(l.overhead_unallocated, 0) as overhead_unallocated,
           coalesce(l.direct_unallocated, 0) as direct_unallocated,
           coalesce(l.logistics_unallocated, 0) as logistics_unallocated
    from {{ ref('cost_reconciliation') }} as r
    left join kinds as k on k.finess_et = r.finess_et and k.year = r.year
    left join lost as l on l.finess_et = r.finess_et and l.year = r.year
    where r.has_ledger
),

flows as (
    select finess_et, year, 1 as flow_no, 'Charges de classe 6' as source, 'Charges exclues' as target,
           charges_excluded as amount from figures
    union all
    select finess_et, year, 2, 'Charges de classe 6', 'Hors champ', charges_hors_champ from figures
    union all
    select finess_et, year, 3, 'Charges de classe 6', 'Charges retenues', charges_in_scope from figures
    union all
    select finess_et, year, 4, 'Charges retenues', 'Prestations directes (2.x)', direct_cost from figures
    union all
    select finess_et, year, 5, 'Charges retenues', 'Fonctions support (3.x)', overhead_cost from figures
    union all
    select finess_et, year, 6, 'Charges retenues', 'Logistique rattachée aux personnes (3.2)', logistics_cost
    from figures
    union all
    select finess_et, year, 7, 'Fonctions support (3.x)', 'Prestations directes (2.x)',
           overhead_cost - overhead_unallocated from figures
    union all
    select finess_et, year, 8, 'Fonctions support (3.x)', 'Non affecté', overhead_unallocated from figures
    union all
    select finess_et, year, 9, 'Prestations directes (2.x)', 'Personnes accompagnées',
           direct_cost + overhead_cost - overhead_unallocated - direct_unallocated from figures
    union all
    select finess_et, year, 10, 'Prestations directes (2.x)', 'Non affecté', direct_unallocated from figures
    union all
    select finess_et, year, 11, 'Logistique rattachée aux personnes (3.2)', 'Personnes accompagnées',
           logistics_cost - logistics_unallocated from figures
    union all
    select finess_et, year, 12, 'Logistique rattachée aux personnes (3.2)', 'Non affecté', logistics_unallocated
    from figures
)

select finess_et, year, flow_no, source, target, round(amount, 2) as amount
from flows
