{#- The FINESS feed's capacity lines, each with the first check it fails (none: it goes to core). -#}
{% set checks = [
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    {'column': 'quantity', 'when': 'quantity_raw is not null and quantity is null',
     'reason': "'quantity ' || " ~ serafin.quoted('quantity_raw') ~ " || ' is not a whole number'"},
] %}

select
    finess_et_raw as finess_et,
    activity_id,
    is_active,
    nature,
    activity_code,
    operating_mode,
    public,
    start_date,
    end_date,
    capacity_status,
    capacity_kind,
    quantity,
    unit,
    is_breakdown,
    _file,
    _line,
    {{ serafin.reject_columns(checks) }}
from {{ ref('stg_finess__capacities') }}
