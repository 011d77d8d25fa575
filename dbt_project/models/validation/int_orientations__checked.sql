{#- MDPH orientation decisions (optional landing table orientations): each row with the first check it fails
    (none: it goes to core). The category is an ESMS category of nomenclatures/esms_categories.csv (FINESS code,
    short label or label); the status one of orientation_status (en_attente, admis, sans_suite, refus); an
    admission needs no FINESS, but a FINESS given must be well formed. -#}
{% set checks = [
    serafin.check_required('person_id'),
    serafin.check_required('department'),
    serafin.check_department('department'),
    serafin.check_required('decision_date'),
    serafin.check_date('decision_date'),
    serafin.check_required('category'),
    {'column': 'category', 'when': 'category is null',
     'reason': "'category ' || " ~ serafin.quoted('category_raw') ~ " || ' is not a known ESMS category (FINESS code or short label of nomenclatures/esms_categories.csv)'"},
    serafin.check_required('status'),
    serafin.check_enum('status', 'orientation_status'),
    serafin.check_finess('finess_et'),
    serafin.check_date('admitted_on'),
    serafin.check_date_order('decision_date', 'admitted_on'),
] %}

select
    person_id_raw as person_id,
    department_raw as department,
    decision_date,
    category,
    status,
    finess_et_raw as finess_et,
    admitted_on,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from {{ ref('stg_landing__orientations') }}
