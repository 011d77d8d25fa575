{#- One row per landing row of establishments, with the first failing check (NULL when valid). A row of a TDDUI
    export (from_fhir: an Organization with a FINESS) declares its ESMS: it needs no name nor category of its own
    (int_establishments__resolved takes them from establishments.csv, the FINESS feed or the Organization) and is
    never a duplicate: the same Organization in several exports, or an ESMS establishments.csv also lists, is one
    establishment. Only the rows of establishments files are checked for duplicates. -#}
{% set checks = [
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    {'column': 'name', 'when': 'name_raw is null and not from_fhir', 'reason': "'name is empty'"},
    {'column': 'category', 'when': 'category_raw is null and not from_fhir', 'reason': "'category is empty'"},
    {'column': 'category', 'when': 'category_raw is not null and category is null',
     'reason': "'category ' || " ~ serafin.quoted('category_raw') ~ " || ' is not a known ESMS category (FINESS code or short label of nomenclatures/esms_categories.csv)'"},
    serafin.check_department('department'),
    serafin.check_parsed('authorized_places', 'a whole number'),
    serafin.check_range('authorized_places', 0, 100000),
    serafin.check_parsed('days_open', 'a whole number'),
    serafin.check_range('days_open', 1, 366),
    serafin.check_enum('funder', 'funder'),
    {'column': 'finess_et', 'when': 'not from_fhir and dup_rank > 1',
     'reason': "'duplicate finess_et: first given on line ' || cast(first_line as " ~ dbt.type_string() ~ ") || ' of ' || first_file"},
] %}

with staged as (
    select
        *,
        {{ serafin.duplicate_window(['finess_et_raw', 'from_fhir']) }}
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
    days_open,
    funder,
    siret,
    siret_raw,
    from_fhir,
    {{ serafin.finess_luhn_ok('finess_et_raw') }} as finess_luhn_ok,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from staged
