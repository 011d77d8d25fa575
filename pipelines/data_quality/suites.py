"""The Great Expectations suites: what the validation layer cannot see row by row. Volumes over time (the landing
rows of each ESMS per month against its median month, the modelled activity of each month against the months
before), distributions (mean duration, share of direct prestations, share of persons with a needs assessment, per
ESMS and year), coherence across tables (an ESMS-year with activity has staff and ledger lines, a person with
activity has a stay, the staff table's cost and the ledger's personnel charges of one order of magnitude).

Each suite first reduces its table to one small aggregate (a temporary table: one row per ESMS and month, or per
ESMS and year), in one scan of the large table; its expectations then read that aggregate only, and the rows of the
aggregate are the checked units (the denominator shown on donnees.html). A row rule (a duration out of range, an
unofficial code, two prestations for one action) is validation's (dbt_project/models/validation/), not here.
Labels and severities: nomenclatures/data_quality_checks.csv."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    name: str       # the temporary aggregate its expectations read
    table: str      # schema.table whose rows the aggregate sums up
    aggregate: str  # SQL of the aggregate: one row per checked unit
    checks: tuple   # (check_id, SQL of the failing units over {batch})


# the month of a landing row read from the text of started_at (YYYY-MM-DD… or DD/MM/YYYY…; any other text has no
# month here, validation names it), with plain string functions: no regular expression on every landing row
LANDING_MONTHS = """
with months as (
    select upper(trim(finess_et)) as finess_et,
           try_cast(case when substr(started_at, 5, 1) = '-' then substr(started_at, 1, 7)
                         when substr(started_at, 3, 1) = '/' and substr(started_at, 6, 1) = '/'
                             then substr(started_at, 7, 4) || '-' || substr(started_at, 4, 2)
                    end || '-01' as date) as month
    from raw.activity
    where finess_et is not null
),
counts as (
    select finess_et, month, count(*) as landing_rows
    from months
    where month between date '2000-01-01' and current_date + interval 2 year
    group by all
),
spans as (
    select finess_et, min(month) as first_month, max(month) as last_month, median(landing_rows) as median_rows
    from counts group by 1
),
calendar as (
    select s.finess_et, s.median_rows, cast(m.month as date) as month
    from spans as s,
         lateral (select unnest(generate_series(s.first_month, s.last_month, interval 1 month)) as month) as m
)
select c.finess_et, c.month, coalesce(n.landing_rows, 0) as landing_rows, c.median_rows
from calendar as c left join counts as n on n.finess_et = c.finess_et and n.month = c.month
"""

# months of each ESMS between its first and last month of realised activity (a month with no row counts 0), with
# the mean of the three months before and the same month a year before; the months with three months before are
# the checked units
ACTIVITY_MONTHS = """
with counts as (
    select finess_et, date_trunc('month', started_at) as month, count(*) as rows_
    from core.activity where status = 'realise' group by 1, 2
),
spans as (select finess_et, min(month) as first_month, max(month) as last_month from counts group by 1),
calendar as (
    select s.finess_et, cast(m.month as date) as month
    from spans as s,
         lateral (select unnest(generate_series(s.first_month, s.last_month, interval 1 month)) as month) as m
),
filled as (
    select c.finess_et, c.month, coalesce(n.rows_, 0) as rows_
    from calendar as c left join counts as n on n.finess_et = c.finess_et and n.month = c.month
),
compared as (
    select finess_et, month, rows_,
           avg(rows_) over (partition by finess_et order by month rows between 3 preceding and 1 preceding)
               as previous_mean,
           count(*) over (partition by finess_et order by month rows between 3 preceding and 1 preceding)
               as previous_months,
           lag(rows_, 12) over (partition by finess_et order by month) as year_before
    from filled
)
select finess_et, month, rows_, previous_mean, year_before from compared where previous_months = 3
"""

# one row per ESMS and year of realised activity: its rows, mean duration, share of direct prestations (2.x), the
# persons with activity but no stay in that ESMS overlapping the year, its staff and ledger lines. core.activity is
# read once, grouped per person first (the persons are then few rows)
ACTIVITY_YEARS = """
with per_person as (
    select finess_et, year(started_at) as year, person_id, count(*) as rows_, sum(duration_min) as minutes,
           count(*) filter (where prestation_code like '2.%') as direct_rows
    from core.activity where status = 'realise' group by all
),
years as (
    select finess_et, year, sum(rows_) as rows_, sum(minutes) / sum(rows_) as mean_duration,
           sum(direct_rows) / sum(rows_) as direct_share, count(person_id) as persons
    from per_person group by all
),
without_stay as (
    select p.finess_et, p.year, count(*) as persons_without_stay
    from per_person as p
    where p.person_id is not null and not exists (
        select 1 from core.stays as s
        where s.person_id = p.person_id and s.finess_et = p.finess_et
          and s.start_date <= make_date(p.year, 12, 31) and (s.end_date is null or s.end_date >= make_date(p.year, 1, 1)))
    group by all
),
staff as (select finess_et, year, count(*) as staff_lines from core.staff group by all),
ledger as (select finess_et, year, count(*) as ledger_lines from core.ledger group by all)
select y.finess_et, y.year, y.rows_, y.mean_duration, y.direct_share, y.persons,
       coalesce(w.persons_without_stay, 0) as persons_without_stay, coalesce(s.staff_lines, 0) as staff_lines,
       coalesce(l.ledger_lines, 0) as ledger_lines
from years as y
left join without_stay as w on w.finess_et = y.finess_et and w.year = y.year
left join staff as s on s.finess_et = y.finess_et and s.year = y.year
left join ledger as l on l.finess_et = y.finess_et and l.year = y.year
"""

# per ESMS and year of activity: the persons with a stay overlapping the year, and those of them with a needs
# assessment dated before the year's end
NEEDS_YEARS = """
with present as (
    select distinct a.finess_et, a.year, s.person_id
    from dq_activity_years as a
    inner join core.stays as s
        on s.finess_et = a.finess_et and s.start_date <= make_date(a.year, 12, 31)
       and (s.end_date is null or s.end_date >= make_date(a.year, 1, 1))
),
assessed as (select person_id, min(assessed_on) as first_assessed from core.needs group by 1)
select p.finess_et, p.year, count(*) as persons,
       count(*) filter (where n.first_assessed <= make_date(p.year, 12, 31)) as assessed
from present as p left join assessed as n on n.person_id = p.person_id
group by all
"""

# the accounts' quality mart with the ledger's personnel charges of the reconciliation
COST_YEARS = """
select q.finess_et, q.year, q.personnel_share, q.hours_recorded_per_fte, q.fte_paid, r.personnel_ledger, r.staff_cost
from marts.cost_quality as q
left join marts.cost_reconciliation as r on r.finess_et = q.finess_et and r.year = q.year
"""

SUITES = (
    Suite("dq_landing_months", "raw.activity", LANDING_MONTHS, (
        ("landing_activity_monthly_rows",
         "select finess_et, strftime(month, '%Y-%m') as month, landing_rows, median_rows from {batch} "
         "where landing_rows < median_rows / 5 or landing_rows > 3 * median_rows"),
    )),
    Suite("dq_activity_months", "core.activity", ACTIVITY_MONTHS, (
        ("activity_monthly_volume",
         "select finess_et, strftime(month, '%Y-%m') as month, rows_ as activity_rows, "
         "round(previous_mean, 1) as previous_mean, year_before from {batch} "
         "where rows_ < 0.2 * previous_mean or rows_ < 0.5 * year_before"),
    )),
    Suite("dq_activity_years", "core.activity", ACTIVITY_YEARS, (
        ("activity_mean_duration",
         "select finess_et, year, rows_ as activity_rows, round(mean_duration, 1) as mean_duration_min from {batch} "
         "where mean_duration < 10 or mean_duration > 480"),
        ("activity_direct_share",
         "select finess_et, year, rows_ as activity_rows, round(direct_share, 3) as direct_share from {batch} "
         "where direct_share < 0.5"),
        ("activity_esms_has_staff", "select finess_et, year, rows_ as activity_rows from {batch} where staff_lines = 0"),
        ("activity_esms_has_ledger",
         "select finess_et, year, rows_ as activity_rows from {batch} where ledger_lines = 0"),
        ("activity_persons_have_stay",
         "select finess_et, year, persons, persons_without_stay from {batch} where persons_without_stay > 0"),
    )),
    Suite("dq_needs_years", "core.needs", NEEDS_YEARS, (
        ("needs_assessed_share",
         "select finess_et, year, persons, assessed from {batch} where assessed < 0.5 * persons"),
    )),
    Suite("dq_cost_years", "marts.cost_quality", COST_YEARS, (
        ("ledger_personnel_share",
         "select finess_et, year, round(personnel_share, 3) as personnel_share from {batch} "
         "where personnel_share < 0.55 or personnel_share > 0.85"),
        ("staff_hours_per_fte",
         "select finess_et, year, round(hours_recorded_per_fte, 1) as hours_per_fte, fte_paid from {batch} "
         "where fte_paid > 0 and (hours_recorded_per_fte < 50 or hours_recorded_per_fte > 1607)"),
        ("ledger_staff_cost_magnitude",
         "select finess_et, year, round(staff_cost, 2) as staff_cost, round(personnel_ledger, 2) as personnel_ledger "
         "from {batch} where personnel_ledger > 0 and (staff_cost < personnel_ledger / 3 or staff_cost > 3 * personnel_ledger)"),
    )),
)
