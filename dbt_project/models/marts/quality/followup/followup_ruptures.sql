{#- Follow-up list for the quality team: one row per rupture (a gap of more than var rupture_gap_days, 60,
    between two realised activity dates of a person inside a stay at an ESMS): the ESMS, year, person,
    the last date before the gap, the first after, and the days between. Pseudonymised: never for a board. -#}
select scope as finess_et, year, person_id, gap_from, gap_to, days
from {{ ref('int_activity_gaps') }}
where is_rupture and scope not in ('platform', 'cooperation')
