{% set checks = [
    serafin.check_required('person_id'),
    serafin.check_parsed('birth_year', 'a year'),
    serafin.check_range('birth_year', 1900, 2100),
    serafin.check_enum('sex', 'sex'),
    {'column': 'main_disability', 'when': 'main_disability_raw is not null and main_disability_known is null',
     'reason': "'main_disability ' || " ~ serafin.quoted('main_disability_raw') ~ " || ' is not in nomenclatures/disabilities.csv'"},
    serafin.check_duplicate('person_id'),
] %}

with staged as (
    select *, {{ serafin.duplicate_window(['person_id_raw']) }}
    from {{ ref('stg_landing__persons') }}
)

select
    person_id_raw as person_id,
    birth_year,
    sex,
    main_disability,
    department_raw as department,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from staged
