{#- The valid rows of landing table establishments: canonical names, typed values, official codes, source file and line. -#}
select
    finess_et,
    name,
    category,
    category_code,
    gestionnaire,
    department,
    authorized_places,
    days_open,
    funder,
    siret,
    _file,
    _line
from {{ ref('int_establishments__checked') }}
where reject_reason is null
