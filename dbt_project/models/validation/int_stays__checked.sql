{% set checks = [
    serafin.check_required('stay_id'),
    serafin.check_required('person_id'),
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('start_date'),
    serafin.check_date('start_date'),
    serafin.check_plausible_date('start_date', '1950-01-01'),
    serafin.check_date('end_date'),
    serafin.check_date_order('start_date', 'end_date'),
    serafin.check_required('modality'),
    serafin.check_enum('modality', 'modality'),
    serafin.check_known_establishment(),
    serafin.check_duplicate('stay_id'),
] %}

with staged as (
    select
        stg.*,
        {{ serafin.duplicate_window(['stg.stay_id_raw']) }}
    from {{ ref('stg_landing__stays') }} as stg
)

select
    staged.stay_id_raw as stay_id,
    staged.person_id_raw as person_id,
    staged.finess_et_raw as finess_et,
    staged.start_date,
    staged.end_date,
    staged.modality,
    staged.exit_reason_raw as exit_reason,
    staged._file,
    staged._line,
    {{ serafin.reject_columns(checks) }}
from staged
left join {{ serafin.known_establishments() }} as known_esms on known_esms.finess_et = staged.finess_et_raw
