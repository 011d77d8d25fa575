{#- Baseline funding (scenarios.md), one row per ESMS × year with a class 7 product: the tarification products
    of the funders (is_baseline in nomenclatures/funding_accounts.csv; NULL when the year has none) and the other
    products, shown apart. The scenarios, their detail and the CPOM trajectory all read it. -#}
select
    finess_et,
    year,
    sum(case when is_baseline then amount end) as baseline_funding,
    sum(case when not is_baseline then amount end) as other_products
from {{ ref('int_funding_products') }}
group by finess_et, year
