{#- One row per FHIR event (TDDUI Encounter événement) whose type has no SERAFIN-PH coding: the FHIR reader
    (pipelines/ingestion/fhir.py) keeps it here with the type codes it did carry, so users see what their
    software did not code. Not in core.activity: without a prestation it cannot be costed. -#}
select
    event_id,
    _file as file,
    cast(_line as bigint) as line,
    finess_et,
    status,
    started_at,
    other_type_codes
from {{ source('raw', 'fhir_unmapped_events') }}
