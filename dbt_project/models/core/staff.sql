{#- The valid rows of landing table staff: canonical names, typed values, official codes, source file and line. -#}
select
    professional_id,
    finess_et,
    year,
    profession,
    fte,
    annual_cost,
    _file,
    _line
from {{ ref('int_staff__checked') }}
where reject_reason is null
