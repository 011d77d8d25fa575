{#- The FINESS feed's establishments, each with the first check it fails (none: it goes to core). Every
    establishment of the feed is kept, disability ESMS or not (the territory marts keep the categories of
    nomenclatures/esms_categories.csv); a failed check digit is a warning (audit.data_warnings). -#}
{% set checks = [
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_finess('finess_ej'),
    {'column': 'category_code', 'when': 'category_code is null', 'reason': "'category_code is empty'",
     'value': 'category_code'},
] %}

select
    finess_et_raw as finess_et,
    finess_ej_raw as finess_ej,
    name,
    legal_name,
    category_code,
    category,
    population,
    tariff_mode,
    is_open,
    opened_on,
    closed_on,
    commune_code,
    department,
    postcode,
    city,
    longitude,
    latitude,
    {{ serafin.finess_luhn_ok('finess_et_raw') }} as finess_luhn_ok,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from {{ ref('stg_finess__establishments') }}
