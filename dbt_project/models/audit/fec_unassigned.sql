{#- One row per FEC (or trial balance) of comptabilite/, year, account and split code: the class 6 and 7 amounts
    comptabilite.yaml assigns to no ESMS (a journal, an analytic code or an account suffix it does not list, or a
    file of no entity), never dropped, and why (finance-sources.md §1). -#}
select
    _file as file,
    {{ serafin.parse_int('year') }} as year,
    account,
    label,
    code,
    cast({{ serafin.parse_decimal('amount') }} as decimal(18, 2)) as amount,
    {{ serafin.parse_int('lines') }} as lines,
    {{ serafin.parse_int('entries') }} as entries,
    reason,
    cast(_line as bigint) as first_line
from {{ source('raw', 'fec_unassigned') }}
