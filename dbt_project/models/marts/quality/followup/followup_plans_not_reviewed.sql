{#- Follow-up list for the quality team: one row per person of the file active of an ESMS and year whose
    personalised project there was not reviewed (reviewed_on, else signed_on) in the var review_window_days
    (365) ending on 31 December or on the day the person left: last_review is the latest review before that
    day (NULL: never), days_since the days from it to that day. Pseudonymised: never for a board. -#}
with last_review as (
    select fa.scope, fa.year, fa.person_id, fa.exit_date, max(p.review_date) as last_review
    from {{ ref('int_file_active') }} as fa
    left join {{ ref('int_scope_plans') }} as p
        on p.scope = fa.scope and p.person_id = fa.person_id and p.review_date <= fa.exit_date
    where fa.scope not in ('platform', 'cooperation')
    group by fa.scope, fa.year, fa.person_id, fa.exit_date
)

select
    scope as finess_et,
    year,
    person_id,
    exit_date as due_by,
    last_review,
    {{ dbt.datediff('last_review', 'exit_date', 'day') }} as days_since
from last_review
where last_review is null
   or last_review < {{ dbt.dateadd('day', 1 - var('review_window_days'), 'exit_date') }}
