{#- Step 8. One row per ESMS × year × person × direct prestation: attributed hours; in an (event,
    professional) with n persons each person receives duration / n (int_person_actions). -#}
select finess_et, year, person_id, prestation_code, sum(hours) as hours
from {{ ref('int_person_actions') }}
group by finess_et, year, person_id, prestation_code
