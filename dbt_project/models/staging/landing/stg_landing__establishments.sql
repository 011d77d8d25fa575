with source as (
    select * from {{ source('raw', 'establishments') }}
),

renamed as (
    select
        -- identifiers
        upper(finess_et) as finess_et_raw,
        name as name_raw,
        category as category_raw,
        {{ serafin.leading_code('category') }} as category_code_given,
        upper(trim(regexp_replace(category, '^[0-9]+ *-? *', ''))) as category_label_given,
        gestionnaire as gestionnaire_raw,
        upper(department) as department_raw,
        -- numbers
        authorized_places as authorized_places_raw,
        {{ serafin.parse_int('authorized_places') }} as authorized_places,
        days_open as days_open_raw,
        {{ serafin.parse_int('days_open') }} as days_open,
        funder as funder_raw,
        funder_enum.value as funder,
        -- lineage
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
left join {{ ref('esms_categories') }} as cat
    on cat.category_code = renamed.category_code_given
    or (renamed.category_code_given is null
        and (upper(cat.short_label) = renamed.category_label_given or upper(cat.label) = renamed.category_label_given))
