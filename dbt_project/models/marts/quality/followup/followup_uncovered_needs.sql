{#- Follow-up list for the quality team: one row per person of the file active of an ESMS, year and need of
    level ≥ 1 in the person's latest assessment that the person received no aligned direct hour for in that
    ESMS during the year (int_needs_coverage). Pseudonymised, person-level: never in a board-level output. -#}
select scope as finess_et, year, person_id, need_code, level, assessed_on
from {{ ref('int_needs_coverage') }}
where level >= 1 and not covered
  and scope not in ('platform', 'cooperation')
