{#- The valid rows of landing table conventions: canonical names, typed values, official codes, source file and line. -#}
select
    convention_id,
    partner_id,
    finess_et,
    start_date,
    end_date,
    kind,
    prestation_codes,
    _file,
    _line
from {{ ref('int_conventions__checked') }}
where reject_reason is null
