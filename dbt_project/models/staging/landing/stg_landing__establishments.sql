with source as (
    select * from {{ source('raw', 'establishments') }}
),

renamed as (
    select
        -- identifiers
        upper(finess_et) as finess_et_raw,
        name as name_raw,
        category as category_raw,
        gestionnaire as gestionnaire_raw,
        upper(department) as department_raw,
        -- numbers
        authorized_places as authorized_places_raw,
        {{ serafin.parse_int('authorized_places') }} as authorized_places,
        days_open as days_open_raw,
        {{ serafin.parse_int('days_open') }} as days_open,
        funder as funder_raw,
        funder_enum.value as funder,
        siret as siret_raw,
        -- the SIRET that places the DSN's workplace on this ESMS: 14 digits once spaces are removed, else NULL (a
        -- data warning)
        case when {{ serafin.matches(serafin.strip_spaces('siret'), '^[0-9]{14}$') }}
             then {{ serafin.strip_spaces('siret') }} end as siret,
        -- lineage
        -- a row of a TDDUI export (fhir/) is an Organization declaring the ESMS
        case when _file like 'fhir/%' then true else false end as from_fhir,
        _file,
        _line
    from source
    {{ serafin.enum_join('funder', 'source.funder', 'funder_enum') }}
)

select
    renamed.*,
    cat.category_code,
    cat.short_label as category,
    cat.days_open_default
from renamed
{{ serafin.esms_category_join('renamed.category_raw', 'cat') }}
