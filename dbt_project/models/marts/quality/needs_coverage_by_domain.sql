{#- Needs coverage (the needs_coverage_rate indicator, indicators.md) broken down by need domain: per scope (each
    ESMS, platform, cooperation), year and domain of the needs nomenclature (its level-3 codes, 1.1.1 … 1.3.5,
    under the three families 1.1 santé, 1.2 autonomie, 1.3 participation sociale), the needs of level ≥ 1 in the
    latest assessments, those covered, the rate, and the persons with such a need. A need recorded at the family
    level (1.1) counts under the family itself. Quality teams read it; boards see it through `shown` (persons
    below var small_cell_k: reports print "< 5"). -#}
with domains as (
    select code as domain_code, label as domain_label, parent_code as family_code
    from {{ ref('serafin_codes') }}
    where kind = 'besoin' and level = 3
    union all
    select code, label, code
    from {{ ref('serafin_codes') }}
    where kind = 'besoin' and level = 2
),

needs as (
    select n.scope, n.year, n.person_id, n.covered, d.domain_code, d.domain_label, d.family_code
    from {{ ref('int_needs_coverage') }} as n
    inner join domains as d
        on {{ serafin.code_under('n.need_code', 'd.domain_code') }}
        and (d.domain_code <> d.family_code or n.need_code = d.domain_code)
    where n.level >= 1
)

select
    n.scope,
    n.year,
    n.family_code,
    f.label as family_label,
    n.domain_code,
    n.domain_label,
    count(*) as needs,
    cast(sum(case when n.covered then 1 else 0 end) as bigint) as covered,
    sum(case when n.covered then 1 else 0 end) * 1.0 / count(*) as coverage_rate,
    count(distinct n.person_id) as persons,
    count(distinct n.person_id) >= {{ serafin.setting('small_cell_k') }} as shown
from needs as n
left join {{ ref('serafin_codes') }} as f on f.code = n.family_code
group by n.scope, n.year, n.family_code, f.label, n.domain_code, n.domain_label
