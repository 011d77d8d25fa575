{#- The establishments, one row per FINESS (int_establishments__resolved): the row of establishments.csv, else the
    first TDDUI Organization declaring it; the category from establishments.csv, else the FINESS feed, else the
    Organization's coding, else none (category_source says which); typed values, source file and line. -#}
select
    finess_et,
    name,
    category,
    category_code,
    category_source,
    gestionnaire,
    department,
    authorized_places,
    days_open,
    funder,
    siret,
    _file,
    _line
from {{ ref('int_establishments__resolved') }}
