{#- The valid rows of landing table ledger: canonical names, typed values, official codes, source file and line. -#}
select
    finess_et,
    year,
    account,
    label,
    amount,
    section,
    _file,
    _line
from {{ ref('int_ledger__checked') }}
where reject_reason is null
