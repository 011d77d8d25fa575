{#- The valid establishments of the FINESS feed (every category; `category` is set for the disability ESMS of
    nomenclatures/esms_categories.csv): FINESS ET and EJ, names, category, open or closed, opening and closing
    dates, commune, department, coordinates, source file and line. -#}
select
    finess_et, finess_ej, name, legal_name, category_code, category, population, tariff_mode, is_open, opened_on,
    closed_on, commune_code, department, postcode, city, longitude, latitude, _file, _line
from {{ ref('int_finess_structures__checked') }}
where reject_reason is null
