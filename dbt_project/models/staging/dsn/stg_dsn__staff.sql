{#- The staff rows the DSN gives (finance-sources.md "Mapping"), one per professional, ESMS and year, shaped like
    stg_landing__staff so that both are checked by int_staff__checked:
    - finess_et: the workplace SIRET placed by stg_dsn__sirets (NULL when no source places it);
    - fte: Σ over the year's months of contract quota / reference quota, divided by 12;
    - annual_cost: Σ gross salary + Σ employer contributions (individual, or the aggregate spread by gross);
    - profession: the job label of the last month, folded, through nomenclatures/profession_synonyms.csv (or a
      profession's own code or label), else its PCS-ESE through pcs_ese_professions.csv, else the var
      dsn_unmapped_profession (`autre`, listed in the run log). The row's file and line are the last month's. -#}
with months as (
    select
        c.*,
        s.finess_et,
        s.candidates,
        -(cast(replace(c.month, '-', '') as bigint) * 100000000 + c._line) as latest_first
    from {{ ref('stg_dsn__contracts') }} as c
    left join {{ ref('stg_dsn__sirets') }} as s on s.siret = c.siret
),

staff as (
    select
        professional_id,
        finess_et,
        case when finess_et is null then siret end as unplaced_siret,
        year,
        {{ serafin.value_at_min('siret', 'latest_first') }} as siret,
        {{ serafin.value_at_min('candidates', 'latest_first') }} as siret_candidates,
        sum(coalesce(quota_share, 0)) / 12 as fte,
        sum(gross) + sum(contributions) as annual_cost,
        {{ serafin.value_at_min('job_label', 'latest_first') }} as job_label,
        {{ serafin.value_at_min('pcs_ese', 'latest_first') }} as pcs_ese,
        {{ serafin.value_at_min('_file', 'latest_first') }} as _file,
        {{ serafin.value_at_min('_line', 'latest_first') }} as _line
    from months
    group by professional_id, finess_et, case when finess_et is null then siret end, year
),

labels as (
    select folded, min(profession) as profession
    from (
        select {{ serafin.fold('label') }} as folded, profession from {{ ref('profession_synonyms') }}
        union all
        select {{ serafin.fold('label') }} as folded, profession from {{ ref('professions') }}
        union all
        select {{ serafin.fold('profession') }} as folded, profession from {{ ref('professions') }}
    ) as spellings
    group by folded
)

select
    staff.professional_id as professional_id_raw,
    staff.finess_et as finess_et_raw,
    cast(staff.year as {{ dbt.type_string() }}) as year_raw,
    staff.year,
    staff.job_label as profession_raw,
    coalesce(labels.profession, pcs.profession, '{{ var("dsn_unmapped_profession") }}') as profession,
    cast(staff.fte as {{ dbt.type_string() }}) as fte_raw,
    cast(staff.fte as decimal(18, 4)) as fte,
    cast(staff.annual_cost as {{ dbt.type_string() }}) as annual_cost_raw,
    cast(staff.annual_cost as decimal(18, 4)) as annual_cost,
    staff._file,
    staff._line,
    'dsn' as source,
    staff.siret,
    staff.siret_candidates,
    staff.pcs_ese,
    case when labels.profession is not null then 'label' when pcs.profession is not null then 'pcs_ese'
         else 'none' end as profession_match
from staff
left join labels on labels.folded = {{ serafin.fold('staff.job_label') }}
left join {{ ref('pcs_ese_professions') }} as pcs on lower(pcs.pcs_ese) = staff.pcs_ese
