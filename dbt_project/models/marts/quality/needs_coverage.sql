{#- The platform's needs coverage (indicators.md, readings 5 to 7): one row per person of the file active, year
    and need of the person's latest assessment on or before 31 December: level, covered, hours received on
    aligned prestations, and the providers (ESMS FINESS and partner ids) that delivered them. Person-level:
    for the quality team, never for a board. -#}
select person_id, year, need_code, level, assessed_on, covered, hours, providers
from {{ ref('int_needs_coverage') }}
where scope = 'platform'
