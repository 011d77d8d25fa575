{#- The yearly ANAP / ATIH tableau de bord figures the data allows, per scope (each ESMS, platform,
    cooperation) and year, each with its numerator and denominator (NULL value when the denominator is 0):
    - staffing_ratio, by profession family (nomenclatures/professions.csv) and `all`: FTE of the staff table
      / authorised places of the scope's ESMS;
    - admissions_per_place and exits_per_place: stays starting / ending in the year / authorised places;
    - average_length_of_ended_stays: days (end date inclusive) of the stays that ended in the year / those
      stays;
    - age_structure, by age band (year minus birth year: 0-5, 6-11, 12-15, 16-19, 20-29, 30-44, 45-59, 60+,
      unknown): persons of the file active in the band / the file active;
    - disability_structure, by main disability (unknown when not given or not a known code): same shares. -#}
with places as (
    select sc.scope, sum(e.authorized_places) as places
    from {{ ref('establishments') }} as e
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = e.finess_et
    group by sc.scope
),

staffing as (
    select sc.scope, s.year, coalesce(p.family, 'unknown') as breakdown, sum(s.fte) as fte
    from {{ ref('staff') }} as s
    left join {{ ref('professions') }} as p on p.profession = s.profession
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = s.finess_et
    group by sc.scope, s.year, coalesce(p.family, 'unknown')
),

staffing_all as (
    select g.scope, g.year, 'all' as breakdown, coalesce(sum(s.fte), 0) as fte
    from {{ ref('int_indicator_grid') }} as g
    left join staffing as s on s.scope = g.scope and s.year = g.year
    group by g.scope, g.year
),

stays as (
    select sc.scope, s.start_date, s.end_date
    from {{ ref('stays') }} as s
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = s.finess_et
),

movements as (
    select
        g.scope, g.year,
        sum(case when s.start_date between {{ serafin.year_start('g.year') }} and {{ serafin.year_end('g.year') }}
                 then 1 else 0 end) as admissions,
        sum(case when s.end_date between {{ serafin.year_start('g.year') }} and {{ serafin.year_end('g.year') }}
                 then 1 else 0 end) as exits,
        sum(case when s.end_date between {{ serafin.year_start('g.year') }} and {{ serafin.year_end('g.year') }}
                 then {{ dbt.datediff('s.start_date', 's.end_date', 'day') }} + 1 else 0 end) as ended_days
    from {{ ref('int_indicator_grid') }} as g
    left join stays as s on s.scope = g.scope
    group by g.scope, g.year
),

file_active as (
    select
        fa.scope, fa.year, fa.person_id,
        case
            when p.birth_year is null then 'unknown'
            when fa.year - p.birth_year <= 5 then '0-5'
            when fa.year - p.birth_year <= 11 then '6-11'
            when fa.year - p.birth_year <= 15 then '12-15'
            when fa.year - p.birth_year <= 19 then '16-19'
            when fa.year - p.birth_year <= 29 then '20-29'
            when fa.year - p.birth_year <= 44 then '30-44'
            when fa.year - p.birth_year <= 59 then '45-59'
            else '60+'
        end as age_band,
        coalesce(d.code, 'unknown') as disability
    from {{ ref('int_file_active') }} as fa
    left join {{ ref('persons') }} as p on p.person_id = fa.person_id
    left join {{ ref('disabilities') }} as d on d.code = p.main_disability
),

file_active_size as (
    select scope, year, count(*) as persons from file_active group by scope, year
),

figures as (
    select s.scope, s.year, 'staffing_ratio' as figure, s.breakdown,
           cast(s.fte as double) as numerator, cast(coalesce(pl.places, 0) as double) as denominator
    from (select * from staffing union all select * from staffing_all) as s
    left join places as pl on pl.scope = s.scope

    union all
    select m.scope, m.year, 'admissions_per_place', 'all', m.admissions, coalesce(pl.places, 0)
    from movements as m left join places as pl on pl.scope = m.scope

    union all
    select m.scope, m.year, 'exits_per_place', 'all', m.exits, coalesce(pl.places, 0)
    from movements as m left join places as pl on pl.scope = m.scope

    union all
    select scope, year, 'average_length_of_ended_stays', 'all', ended_days, exits
    from movements

    union all
    select f.scope, f.year, 'age_structure', f.age_band, count(*), max(n.persons)
    from file_active as f
    inner join file_active_size as n on n.scope = f.scope and n.year = f.year
    group by f.scope, f.year, f.age_band

    union all
    select f.scope, f.year, 'disability_structure', f.disability, count(*), max(n.persons)
    from file_active as f
    inner join file_active_size as n on n.scope = f.scope and n.year = f.year
    group by f.scope, f.year, f.disability
)

select
    scope,
    year,
    figure,
    breakdown,
    case when denominator = 0 then null else numerator / denominator end as value,
    numerator,
    denominator
from figures
