{#- The DSN's contract months (raw.dsn_contracts, pipelines/ingestion/dsn.py) typed: the year and month declared, the
    workplace SIRET (the declaring establishment's when the contract gives none), the month's share of full time
    (contract quota / the company's reference quota), gross salary and employer contributions. When one
    establishment has several declarations for one month, only one counts: an "annule et remplace" one (type 03 or
    05) before a normal one, then the last file by name. -#}
with source as (
    select * from {{ source('raw', 'dsn_contracts') }}
),

ranked as (
    select
        source.*,
        dense_rank() over (
            partition by declaring_siret, month
            order by case when declaration_type in ('03', '05') then 0 else 1 end, _file desc
        ) as declaration_rank
    from source
)

select
    professional_id,
    {{ serafin.parse_int('substr(month, 1, 4)') }} as year,
    month,
    declaring_siret,
    coalesce(replace(workplace_siret, ' ', ''), declaring_siret) as siret,
    job_label,
    lower(trim(pcs_ese)) as pcs_ese,
    cast({{ serafin.parse_decimal('contract_quota') }} as double)
        / nullif(cast({{ serafin.parse_decimal('reference_quota') }} as double), 0) as quota_share,
    coalesce({{ serafin.parse_decimal('gross') }}, 0) as gross,
    coalesce({{ serafin.parse_decimal('contributions') }}, 0) as contributions,
    contributions_source,
    _file,
    _line
from ranked
where declaration_rank = 1
