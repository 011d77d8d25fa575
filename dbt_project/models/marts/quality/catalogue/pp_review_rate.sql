{#- pp_review_rate: persons of the file active with a plan row of the scope reviewed (reviewed_on, else
    signed_on) in the review window (var review_window_days, 365) ending on 31 December, or on the day they
    left the scope when every stay there has ended / persons of the file active (reading 8). -#}
with reviewed as (
    select distinct fa.scope, fa.year, fa.person_id
    from {{ ref('int_file_active') }} as fa
    inner join {{ ref('int_scope_plans') }} as p
        on p.scope = fa.scope and p.person_id = fa.person_id
        and p.review_date <= fa.exit_date
        and p.review_date >= {{ dbt.dateadd('day', 1 - var('review_window_days'), 'fa.exit_date') }}
),

counts as (
    select fa.scope, fa.year, count(r.person_id) as reviewed, count(*) as persons
    from {{ ref('int_file_active') }} as fa
    left join reviewed as r on r.scope = fa.scope and r.year = fa.year and r.person_id = fa.person_id
    group by fa.scope, fa.year
)

select g.scope, g.year, coalesce(c.reviewed, 0) as numerator, coalesce(c.persons, 0) as denominator,
       coalesce(c.persons, 0) as persons
from {{ ref('int_indicator_grid') }} as g
left join counts as c on c.scope = g.scope and c.year = g.year
