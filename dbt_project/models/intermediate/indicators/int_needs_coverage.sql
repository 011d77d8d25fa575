{#- Needs coverage per scope (indicators.md, readings 5 to 7): one row per scope, year, person of the file
    active and need of the person's latest assessment; covered when the level is at least 1 and the person
    received in the year, in the scope, at least one direct hour on a prestation aligned with the need
    (nomenclatures/needs_to_prestations.csv: a code covers itself and the codes below it); hours are the full
    durations of those pairs, each pair once; providers the ESMS and partners that delivered them. -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
with needs as (
    select fa.scope, fa.year, fa.person_id, la.need_code, la.level, la.assessed_on
    from {{ ref('int_file_active') }} as fa
    inner join {{ ref('int_latest_assessment') }} as la on la.person_id = fa.person_id and la.year = fa.year
    where true{{ serafin.in_refreshed_years('fa.year') }}
),

-- the direct hours a person received in a year, per ESMS, prestation and provider: the pairs summed first (a
-- region has tens of millions; each counts once per need it is aligned with, so summing before the join is the same)
received as (
    select year, person_id, finess_et, prestation_code, provider, sum(hours) as hours
    from {{ ref('int_person_direct_pairs') }}
    where true{{ serafin.in_refreshed_years() }}
    group by year, person_id, finess_et, prestation_code, provider
),

-- what each need of a person received on the prestations aligned with it, in the need's scope
aligned as (
    select n.scope, n.year, n.person_id, n.need_code, r.hours, r.provider
    from needs as n
    inner join {{ ref('stg_nomenclatures__need_alignment') }} as m on m.need_code = n.need_code
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.scope = n.scope
    inner join received as r
        on r.year = n.year and r.person_id = n.person_id and r.prestation_code = m.prestation_code
        and r.finess_et = sc.finess_et
),

hours as (
    select scope, year, person_id, need_code, sum(hours) as hours
    from aligned
    group by scope, year, person_id, need_code
),

providers as (
    select scope, year, person_id, need_code,
           {{ serafin.sorted_list('provider') }} as providers
    from (select distinct scope, year, person_id, need_code, provider from aligned) as distinct_providers
    group by scope, year, person_id, need_code
)

select
    n.scope,
    n.year,
    n.person_id,
    n.need_code,
    n.level,
    n.assessed_on,
    n.level >= 1 and coalesce(h.hours, 0) > 0 as covered,
    coalesce(h.hours, 0) as hours,
    pr.providers
from needs as n
left join hours as h
    on h.scope = n.scope and h.year = n.year and h.person_id = n.person_id and h.need_code = n.need_code
left join providers as pr
    on pr.scope = n.scope and pr.year = n.year and pr.person_id = n.person_id and pr.need_code = n.need_code
