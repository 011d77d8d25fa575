{% set checks = [
    serafin.check_required('convention_id'),
    serafin.check_required('partner_id'),
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('start_date'),
    serafin.check_date('start_date'),
    serafin.check_date('end_date'),
    serafin.check_date_order('start_date', 'end_date'),
    serafin.check_enum('kind', 'convention_kind'),
    {'column': 'prestation_codes', 'when': "prestation_codes is not null and not " ~ serafin.matches('prestation_codes', '^[23]([.][0-9]+)*([|][23]([.][0-9]+)*)*$'),
     'reason': "'prestation_codes ' || " ~ serafin.quoted('prestation_codes_raw') ~ " || ' must be 2.x or 3.x codes separated by |'"},
    {'column': 'partner_id', 'when': 'known_partner.partner_id is null',
     'reason': "'partner_id ' || " ~ serafin.quoted('partner_id_raw') ~ " || ' is not in partners'"},
    serafin.check_known_establishment(),
    serafin.check_duplicate('convention_id'),
] %}

with staged as (
    select stg.*, {{ serafin.duplicate_window(['stg.convention_id_raw']) }}
    from {{ ref('stg_landing__conventions') }} as stg
)

select
    staged.convention_id_raw as convention_id,
    staged.partner_id_raw as partner_id,
    staged.finess_et_raw as finess_et,
    staged.start_date,
    staged.end_date,
    staged.kind,
    staged.prestation_codes,
    staged._file,
    staged._line,
    {{ serafin.reject_columns(checks) }}
from staged
left join (select partner_id from {{ ref('int_partners__checked') }} where reject_reason is null) as known_partner on known_partner.partner_id = staged.partner_id_raw
left join {{ serafin.known_establishments() }} as known_esms on known_esms.finess_et = staged.finess_et_raw
