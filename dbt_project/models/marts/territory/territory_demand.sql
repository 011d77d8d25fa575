{#- The demand of the territory, from the MDPH orientations (landing table orientations): per department,
    category of ESMS the persons are oriented to and year, the persons waiting on 31 December (a decision on or
    before that day, still en_attente, or admitted after it), the median and 90th percentile of their waiting
    days (decision to 31 December), and the admissions of the year (by admission date, else decision date).
    Board-level: a count of fewer than var small_cell_k persons is suppressed (NULL, small_cell true), and so are
    the waiting days it describes. -#}
{% set k = serafin.setting('small_cell_k') %}
with orientations as (
    select person_id, department, category, decision_date, status, admitted_on
    from {{ ref('orientations') }}
),

years as (
    select distinct cast(extract(year from decision_date) as integer) as year from orientations
    union
    select distinct cast(extract(year from admitted_on) as integer) from orientations where admitted_on is not null
),

waiting as (
    select
        o.department, o.category, y.year, o.person_id,
        {{ dbt.datediff('o.decision_date', serafin.year_end('y.year'), 'day') }} as waiting_days
    from orientations as o
    inner join years as y on o.decision_date <= {{ serafin.year_end('y.year') }}
    where o.status = 'en_attente'
       or (o.status = 'admis' and o.admitted_on > {{ serafin.year_end('y.year') }})
),

waiting_stats as (
    select
        department, category, year,
        count(distinct person_id) as waiting,
        {{ serafin.percentile_cont('waiting_days', 0.5) }} as median_waiting_days,
        {{ serafin.percentile_cont('waiting_days', 0.9) }} as p90_waiting_days
    from waiting
    group by department, category, year
),

admissions as (
    select department, category, cast(extract(year from coalesce(admitted_on, decision_date)) as integer) as year,
           count(distinct person_id) as admissions
    from orientations
    where status = 'admis'
    group by department, category, cast(extract(year from coalesce(admitted_on, decision_date)) as integer)
),

cells as (
    select department, category, year from waiting_stats
    union
    select department, category, year from admissions
)

select
    c.department,
    c.category,
    c.year,
    case when w.waiting is null then 0 when w.waiting >= {{ k }} then w.waiting end as waiting_persons,
    case when coalesce(w.waiting, 0) >= {{ k }} then w.median_waiting_days end as median_waiting_days,
    case when coalesce(w.waiting, 0) >= {{ k }} then w.p90_waiting_days end as p90_waiting_days,
    case when a.admissions is null then 0 when a.admissions >= {{ k }} then a.admissions end as admissions,
    (coalesce(w.waiting, 0) between 1 and {{ k - 1 }}) or (coalesce(a.admissions, 0) between 1 and {{ k - 1 }})
        as small_cell
from cells as c
left join waiting_stats as w on w.department = c.department and w.category = c.category and w.year = c.year
left join admissions as a on a.department = c.department and a.category = c.category and a.year = c.year
