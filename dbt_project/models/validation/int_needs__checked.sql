{% set checks = [
    serafin.check_required('person_id'),
    serafin.check_required('assessed_on'),
    serafin.check_date('assessed_on'),
    serafin.check_required('need_code'),
    serafin.check_code('need_code', ['besoin'], 'a 1.x need code'),
    serafin.check_parsed('level', 'a whole number from 0 to 3'),
    serafin.check_range('level', 0, 3),
    serafin.check_enum('source', 'assessment_source'),
    serafin.check_duplicate('person_id, assessed_on, need_code'),
] %}

with staged as (
    select *, {{ serafin.duplicate_window(['person_id_raw', 'assessed_on', 'need_code']) }}
    from {{ ref('stg_landing__needs') }}
)

select
    person_id_raw as person_id,
    assessed_on,
    need_code,
    level,
    source,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from staged
