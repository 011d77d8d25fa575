{#- Step 12. One row per ESMS × year × prestation code with recorded time: the hours recorded on it H(c) and its
    estimated hours Ĥ(c), each professional's paid hours spread with the key of his cost in step 3,
    P_k × m(k, c) / Σc' m(k, c'), plus the hours recorded on it by professionals whose paid hours are not known
    (absent from the staff table, or no FTE given): their recorded hours count as they are. -#}
select
    t.finess_et,
    t.year,
    t.prestation_code,
    sum(t.minutes) / 60.0 as recorded_hours,
    sum(case when h.paid_hours > 0 and h.recorded_hours > 0 then h.paid_hours * t.minutes / (60.0 * h.recorded_hours)
             else t.minutes / 60.0 end) as estimated_hours
from {{ ref('int_professional_time') }} as t
inner join {{ ref('int_professional_hours') }} as h
    on h.finess_et = t.finess_et and h.year = t.year and h.professional_id = t.professional_id
group by t.finess_et, t.year, t.prestation_code
