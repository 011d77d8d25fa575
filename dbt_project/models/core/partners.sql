{#- The valid rows of landing table partners: canonical names, typed values, official codes, source file and line. -#}
select
    partner_id,
    name,
    kind,
    finess,
    department,
    _file,
    _line
from {{ ref('int_partners__checked') }}
where reject_reason is null
