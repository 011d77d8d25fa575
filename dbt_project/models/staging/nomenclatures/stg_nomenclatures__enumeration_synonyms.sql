{#- One row per accepted spelling of an enumerated value, folded as serafin.fold folds landing text: the
    value itself and its synonyms (nomenclatures/enumerations.csv, enumeration_synonyms.csv). -#}
select enumeration, {{ serafin.fold('value') }} as synonym, value
from {{ ref('enumerations') }}

union

select s.enumeration, {{ serafin.fold('s.synonym') }} as synonym, s.value
from {{ ref('enumeration_synonyms') }} as s
