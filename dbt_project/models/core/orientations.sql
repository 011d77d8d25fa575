{#- The valid rows of landing table orientations: MDPH orientation decisions (pseudonymised person, department,
    decision date, ESMS category, status, the FINESS and date of an admission), source file and line. -#}
select person_id, department, decision_date, category, status, finess_et, admitted_on, _file, _line
from {{ ref('int_orientations__checked') }}
where reject_reason is null
