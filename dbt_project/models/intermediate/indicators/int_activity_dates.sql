{#- Presence: one row per scope, year, person and distinct date with at least one realised activity row of
    the person in the scope (any code). -#}
select distinct sc.scope, a.year, a.person_id, a.activity_date
from {{ ref('int_activity_realised') }} as a
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = a.finess_et
where a.person_id is not null
