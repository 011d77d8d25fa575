with source as (
    select * from {{ source('raw', 'orientations') }}
)

select
    person_id as person_id_raw,
    upper(trim(department)) as department_raw,
    decision_date as decision_date_raw,
    {{ serafin.parse_date('decision_date') }} as decision_date,
    category as category_raw,
    cat.short_label as category,
    status as status_raw,
    status_enum.value as status,
    upper(finess_et) as finess_et_raw,
    admitted_on as admitted_on_raw,
    {{ serafin.parse_date('admitted_on') }} as admitted_on,
    _file,
    _line
from source
{{ serafin.enum_join('orientation_status', 'source.status', 'status_enum') }}
{{ serafin.esms_category_join('source.category', 'cat') }}
