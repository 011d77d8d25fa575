{#- One row per ESMS, year, table (ledger or staff) and kind of source: which files built the ledger and the staff
    (FEC, trial balance, CSV, Excel…), how many rows and how much (couts.html shows it beside the personnel gap). -#}
with files as (
    select
        file,
        case when format = 'fec' then 'FEC'
             when format = 'balance' then 'balance'
             when format in ('csv', 'xlsx', 'parquet') then upper(format)
             else coalesce(upper(format), upper(source_table)) end as source
    from {{ source('raw', 'ingested_files') }}
),

source_rows as (
    select 'ledger' as table_name, finess_et, year, _file, amount from {{ ref('ledger') }}
    union all
    select 'staff', finess_et, year, _file, annual_cost from {{ ref('staff') }}
)

select
    r.finess_et,
    r.year,
    r.table_name,
    coalesce(f.source, 'unknown') as source,
    count(distinct r._file) as files,
    count(*) as row_count,
    cast(sum(r.amount) as decimal(18, 2)) as amount
from source_rows as r
left join files as f on f.file = r._file
group by r.finess_et, r.year, r.table_name, coalesce(f.source, 'unknown')
