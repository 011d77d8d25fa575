{#- The FINESS feed's establishments as given (raw.finess_structures: the JSON feed or the flat extract), typed:
    the FINESS numbers upper-cased, the category code, open (etat A) or closed, the dates, the department from the
    commune code (2A/2B for Corsica, three digits overseas: 971-976), the coordinates as numbers (WGS 84
    longitude and latitude), and the category of nomenclatures/esms_categories.csv when it is a disability ESMS
    (current and legacy codes, both listed there). -#}
with source as (
    select * from {{ source('raw', 'finess_structures') }}
)

select
    upper(trim(s.finess_et)) as finess_et_raw,
    upper(trim(s.finess_ej)) as finess_ej_raw,
    s.name,
    s.legal_name,
    trim(s.category_code) as category_code,
    c.short_label as category,
    c.population,
    s.tariff_mode,
    case upper(trim(s.state)) when 'A' then true when 'I' then false end as is_open,
    s.state as state_raw,
    {{ serafin.parse_date('s.opened_on') }} as opened_on,
    {{ serafin.parse_date('s.closed_on') }} as closed_on,
    s.opened_on as opened_on_raw,
    upper(trim(s.commune_code)) as commune_code,
    case
        when upper(trim(s.commune_code)) like '97%' then substr(trim(s.commune_code), 1, 3)
        else substr(upper(trim(s.commune_code)), 1, 2)
    end as department,
    s.postcode,
    s.city,
    {{ serafin.parse_decimal('s.longitude') }} as longitude,
    {{ serafin.parse_decimal('s.latitude') }} as latitude,
    -- the establishment's SIRET (14 digits), which may place a DSN workplace on it (stg_dsn__sirets)
    case when {{ serafin.matches(serafin.strip_spaces('s.siret'), '^[0-9]{14}$') }}
         then {{ serafin.strip_spaces('s.siret') }} end as siret,
    s._file,
    s._line
from source as s
left join {{ ref('esms_categories') }} as c on c.category_code = trim(s.category_code)
