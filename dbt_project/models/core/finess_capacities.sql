{#- The valid capacity lines of the FINESS feed: per establishment and authorised activity (activité sociale
    régulée, mode de fonctionnement, public), the capacity's kind (autorisee, installee) and number of places;
    is_breakdown marks a line that details part of a capacity (by funding, habilitation, housing or gender). -#}
select
    finess_et, activity_id, is_active, nature, activity_code, operating_mode, public, start_date, end_date,
    capacity_status, capacity_kind, quantity, unit, is_breakdown, _file, _line
from {{ ref('int_finess_capacities__checked') }}
where reject_reason is null
