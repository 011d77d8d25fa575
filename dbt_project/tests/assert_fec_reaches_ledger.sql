{{ config(severity='error', store_failures=true, schema='audit', meta={"dagster": {"ref": {"name": "fec_unassigned"}}}) }}
{#- finance-sources.md §1: for each FEC or trial balance, what went to the ledger (its rows of raw.ledger, whatever
    the validation makes of them) plus what no rule assigned (audit.fec_unassigned) equals the sum of its class 6
    and 7 lines (read apart, raw.fec_files), to the cent. -#}
with files as (
    select _file as file, {{ serafin.parse_decimal('class67_amount') }} as class67_amount
    from {{ source('raw', 'fec_files') }}
),

ledger as (
    select _file as file, sum(amount) as ledger_amount from {{ ref('stg_landing__ledger') }} group by _file
),

unassigned as (
    select file, sum(amount) as unassigned_amount from {{ ref('fec_unassigned') }} group by file
)

select
    f.file,
    f.class67_amount,
    coalesce(l.ledger_amount, 0) as ledger_amount,
    coalesce(u.unassigned_amount, 0) as unassigned_amount,
    'the ledger rows of ' || f.file || ' and its unassigned amounts do not add up to its class 6 and 7 lines: '
        || {{ serafin.format_amount('f.class67_amount - coalesce(l.ledger_amount, 0) - coalesce(u.unassigned_amount, 0)') }}
        || ' EUR apart' as message
from files as f
left join ledger as l on l.file = f.file
left join unassigned as u on u.file = f.file
where abs(f.class67_amount - coalesce(l.ledger_amount, 0) - coalesce(u.unassigned_amount, 0)) >= 0.005
