{#- The valid rows of landing table stays: canonical names, typed values, official codes, source file and line. -#}
select
    stay_id,
    person_id,
    finess_et,
    start_date,
    end_date,
    modality,
    exit_reason,
    _file,
    _line
from {{ ref('int_stays__checked') }}
where reject_reason is null
