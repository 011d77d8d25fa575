{#- Each person's parcours across every ESMS of the landing folder, one row per person and year
    (pseudonymised): the ESMS and partners that supported the person (providers of realised direct hours, and
    ESMS of the stays), the stays and their modalities, the direct hours received (each pair's full duration),
    in ordinary settings and with partners, the needs of the latest assessment covered and not covered, the
    longest gap between two activity dates while a stay was open, and the person's total cost across ESMS
    (marts.person_cost). What a coordinator of parcours or a PAG needs; never for a board. -#}
{#- Built by year (macros/incremental.sql): a run adding activity rebuilds the years it touched; a person's year
    reads that year's rows only. -#}
-- depends_on: {{ ref('int_activity__checked') }}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table', incremental_strategy='append',
          pre_hook="{{ serafin.delete_refreshed_years() }}", on_schema_change='fail') }}
with persons as (
    select year, person_id from {{ ref('int_file_active') }} where scope = 'platform'{{ serafin.in_refreshed_years() }}
    union
    select year, person_id from {{ ref('int_person_direct_pairs') }} where true{{ serafin.in_refreshed_years() }}
),

year_stays as (
    select year, person_id, stay_id, finess_et, modality
    from {{ ref('int_scope_stays') }}
    where scope = 'platform'{{ serafin.in_refreshed_years() }}
),

stays as (
    select c.year, c.person_id, c.stays, m.modalities
    from (select year, person_id, count(*) as stays from year_stays group by year, person_id) as c
    inner join (
        select year, person_id, {{ serafin.sorted_list('modality') }} as modalities
        from (select distinct year, person_id, modality from year_stays) as distinct_modalities
        group by year, person_id
    ) as m on m.year = c.year and m.person_id = c.person_id
),

supporters as (
    select year, person_id, provider from {{ ref('int_person_direct_pairs') }} where true{{ serafin.in_refreshed_years() }}
    union
    select year, person_id, finess_et
    from year_stays
),

supporter_list as (
    select year, person_id, count(*) as supporters,
           {{ serafin.sorted_list('provider') }} as supported_by
    from supporters
    group by year, person_id
),

hours as (
    select
        p.year, p.person_id,
        sum(p.hours) as direct_hours,
        sum(case when e.inclusive then p.hours else 0 end) as ordinary_setting_hours,
        sum(case when p.provider <> p.finess_et then p.hours else 0 end) as partner_hours
    from {{ ref('int_person_direct_pairs') }} as p
    left join {{ ref('enumerations') }} as e on e.enumeration = 'setting' and e.value = p.setting
    where true{{ serafin.in_refreshed_years('p.year') }}
    group by p.year, p.person_id
),

needs as (
    select year, person_id,
           sum(case when level >= 1 and covered then 1 else 0 end) as needs_covered,
           sum(case when level >= 1 and not covered then 1 else 0 end) as needs_uncovered
    from {{ ref('int_needs_coverage') }}
    where scope = 'platform'{{ serafin.in_refreshed_years() }}
    group by year, person_id
),

gaps as (
    select year, person_id, max(days) as longest_gap_days
    from {{ ref('int_activity_gaps') }}
    where scope = 'platform' and inside_stay{{ serafin.in_refreshed_years() }}
    group by year, person_id
),

costs as (
    select year, person_id, sum(total_cost) as total_cost, count(*) as esms_costed
    from {{ ref('person_cost') }}
    where true{{ serafin.in_refreshed_years() }}
    group by year, person_id
)

select
    p.person_id,
    p.year,
    coalesce(sl.supporters, 0) as supporters,
    sl.supported_by,
    coalesce(st.stays, 0) as stays,
    st.modalities,
    coalesce(h.direct_hours, 0) as direct_hours,
    coalesce(h.ordinary_setting_hours, 0) as ordinary_setting_hours,
    coalesce(h.partner_hours, 0) as partner_hours,
    coalesce(n.needs_covered, 0) as needs_covered,
    coalesce(n.needs_uncovered, 0) as needs_uncovered,
    g.longest_gap_days,
    c.total_cost,
    coalesce(c.esms_costed, 0) as esms_costed
from persons as p
left join supporter_list as sl on sl.year = p.year and sl.person_id = p.person_id
left join stays as st on st.year = p.year and st.person_id = p.person_id
left join hours as h on h.year = p.year and h.person_id = p.person_id
left join needs as n on n.year = p.year and n.person_id = p.person_id
left join gaps as g on g.year = p.year and g.person_id = p.person_id
left join costs as c on c.year = p.year and c.person_id = p.person_id
