{#- One row per landing row of establishments, with the first failing check (NULL when valid). -#}
{% set checks = [
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('name'),
    serafin.check_required('category'),
    {'column': 'category', 'when': 'category is null',
     'reason': "'category ' || " ~ serafin.quoted('category_raw') ~ " || ' is not a known ESMS category (FINESS code or short label of nomenclatures/esms_categories.csv)'"},
    serafin.check_department('department'),
    serafin.check_parsed('authorized_places', 'a whole number'),
    serafin.check_range('authorized_places', 0, 100000),
    serafin.check_parsed('days_open', 'a whole number'),
    serafin.check_range('days_open', 1, 366),
    serafin.check_enum('funder', 'funder'),
    serafin.check_duplicate('finess_et'),
] %}

with staged as (
    select
        *,
        {{ serafin.duplicate_window(['finess_et_raw']) }}
    from {{ ref('stg_landing__establishments') }}
)

select
    finess_et_raw as finess_et,
    name_raw as name,
    category,
    category_code,
    gestionnaire_raw as gestionnaire,
    department_raw as department,
    authorized_places,
    coalesce(days_open, days_open_default) as days_open,
    funder,
    siret,
    siret_raw,
    {{ serafin.finess_luhn_ok('finess_et_raw') }} as finess_luhn_ok,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from staged
