{% set checks = [
    serafin.check_required('partner_id'),
    serafin.check_required('name'),
    serafin.check_required('kind'),
    serafin.check_enum('kind', 'partner_kind'),
    serafin.check_finess('finess'),
    serafin.check_duplicate('partner_id'),
] %}

with staged as (
    select *, {{ serafin.duplicate_window(['partner_id_raw']) }}
    from {{ ref('stg_landing__partners') }}
)

select
    partner_id_raw as partner_id,
    name_raw as name,
    kind,
    finess_raw as finess,
    department_raw as department,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from staged
