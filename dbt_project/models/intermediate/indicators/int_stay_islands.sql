{#- The days of each year a person spends inside a stay of the scope, as islands of consecutive days (stays
    that overlap or follow each other merged; open stays run to 31 December): one row per (scope, year,
    person, kind, island). kind `any` counts every stay (rupture_rate: a gap inside one island is a gap while
    a stay is open); kind `night` only the modalities that count nights (occupancy_rate). -#}
with clipped as (
    select
        s.scope, s.year, s.person_id, k.kind,
        greatest(s.start_date, {{ serafin.year_start('s.year') }}) as day_from,
        least(coalesce(s.end_date, {{ serafin.year_end('s.year') }}), {{ serafin.year_end('s.year') }}) as day_to
    from {{ ref('int_scope_stays') }} as s
    inner join (
        select 'any' as kind, value as modality from {{ ref('enumerations') }} where enumeration = 'modality'
        union all
        select 'night', value from {{ ref('enumerations') }} where enumeration = 'modality' and counts_nights
    ) as k on k.modality = s.modality
),

ordered as (
    select
        *,
        max(day_to) over (partition by scope, year, person_id, kind order by day_from nulls last, day_to nulls last
                          rows between unbounded preceding and 1 preceding) as reached
    from clipped
),

numbered as (
    select
        *,
        sum(case when reached is null or day_from > {{ dbt.dateadd('day', 1, 'reached') }} then 1 else 0 end)
            over (partition by scope, year, person_id, kind order by day_from nulls last, day_to nulls last rows unbounded preceding)
            as island
    from ordered
)

select scope, year, person_id, kind, island, min(day_from) as day_from, max(day_to) as day_to
from numbered
group by scope, year, person_id, kind, island
