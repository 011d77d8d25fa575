{#- One row per landing row of establishments, with the first failing check (NULL when valid). -#}
{% set checks = [
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('name'),
    serafin.check_required('category'),
    {'column': 'category', 'when': 'category is null',
     'reason': "'category ' || " ~ serafin.quoted('category_raw') ~ " || ' is not a known ESMS category (FINESS code or short label of nomenclatures/esms_categories.csv)'"},
    {'column': 'department', 'when': "department_raw is not null and not " ~ serafin.matches('department_raw', '^(0[1-9]|1[0-9]|[3-8][0-9]|9[0-5]|2[1-9]|2A|2B|97[1-6])$'),
     'reason': "'department ' || " ~ serafin.quoted('department_raw') ~ " || ' is not a French department (01-95, 2A, 2B, 971-976)'"},
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
    {{ serafin.finess_luhn_ok('finess_et_raw') }} as finess_luhn_ok,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from staged
