{#- Baseline funding (scenarios.md). One row per ESMS × year × funder: the ledger's class 7 products, each
    line to the funder of its longest matching prefix in nomenclatures/funding_accounts.csv (is_baseline: the
    tarification products of 731, 732, 733; the others are shown apart), unmatched class 7 lines to
    `autres_produits`. -#}
with products as (
    select finess_et, year, account, cast(amount as double) as amount, _file, _line
    from {{ ref('ledger') }}
    where substr(account, 1, 1) = '7'
      and {{ serafin.selected_years('year') }}
),

ranked as (
    select
        p._file, p._line, f.funder, f.is_baseline,
        {{ serafin.prefix_rank('p._file, p._line', 'f.prefix') }} as rank_
    from products as p
    inner join {{ ref('funding_accounts') }} as f on {{ serafin.prefix_matches('p.account', 'f.prefix') }}
)

select
    p.finess_et,
    p.year,
    coalesce(r.funder, 'autres_produits') as funder,
    coalesce(r.is_baseline, false) as is_baseline,
    sum(p.amount) as amount
from products as p
left join ranked as r on r._file = p._file and r._line = p._line and r.rank_ = 1
group by p.finess_et, p.year, coalesce(r.funder, 'autres_produits'), coalesce(r.is_baseline, false)
