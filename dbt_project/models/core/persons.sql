{#- The valid rows of landing table persons: canonical names, typed values, official codes, source file and line. -#}
select
    person_id,
    birth_year,
    sex,
    main_disability,
    department,
    _file,
    _line
from {{ ref('int_persons__checked') }}
where reject_reason is null
