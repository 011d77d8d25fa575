{#- The valid rows of landing table needs: canonical names, typed values, official codes, source file and line. -#}
select
    person_id,
    assessed_on,
    need_code,
    level,
    source,
    _file,
    _line
from {{ ref('int_needs__checked') }}
where reject_reason is null
