{#- One row per establishment (FINESS): the valid rows of establishments files and of TDDUI exports
    (int_establishments__checked) made one. The row kept (its name, department, places, file and line) is the
    establishments file's when one lists the FINESS, else the first Organization of the TDDUI exports by file and
    entry. The category comes, in this order, from establishments.csv, from the FINESS feed in finess/ (its
    categorieentiteGeographiqueExercice, when it is a disability ESMS of esms_categories.csv), from an ESMS
    category coding on an Organization; else there is none (audit.data_warnings says which inputs would give it).
    days_open: as given, else the category's default. -#}
with valid as (
    select * from {{ ref('int_establishments__checked') }} where reject_reason is null
),

ranked as (
    select *,
           row_number() over (partition by finess_et
                              order by case when from_fhir then 1 else 0 end, _file, _line) as source_rank
    from valid
),

fhir_category as (
    select finess_et, category_code,
           row_number() over (partition by finess_et order by _file, _line) as category_rank
    from valid
    where from_fhir and category_code is not null
),

fhir_name as (
    select finess_et, name,
           row_number() over (partition by finess_et order by _file, _line) as name_rank
    from valid
    where from_fhir and name is not null
),

feed as (
    -- an ESMS open and closed in the feed, or listed twice: the open one first, then by file and line
    select finess_et, category_code, name, department,
           row_number() over (partition by finess_et
                              order by case when is_open then 0 else 1 end, _file, _line) as feed_rank
    from {{ ref('int_finess_structures__checked') }}
    where reject_reason is null
),

chosen as (
    select
        k.*,
        f.category_code as feed_category_code,
        f.department as feed_department,
        case when f.finess_et is not null then true else false end as in_feed,
        h.category_code as fhir_category_code,
        case when k.from_fhir then coalesce(n.name, f.name) else k.name end as resolved_name
    from ranked as k
    left join feed as f on f.finess_et = k.finess_et and f.feed_rank = 1
    left join fhir_category as h on h.finess_et = k.finess_et and h.category_rank = 1
    left join fhir_name as n on n.finess_et = k.finess_et and n.name_rank = 1
    where k.source_rank = 1
),

categorised as (
    select
        c.*,
        case
            when not c.from_fhir then 'establishments'
            when feed_cat.category_code is not null then 'finess'
            when c.fhir_category_code is not null then 'fhir'
        end as category_source,
        case
            when not c.from_fhir then c.category_code
            when feed_cat.category_code is not null then feed_cat.category_code
            else c.fhir_category_code
        end as resolved_code,
        feed_cat.short_label as feed_category
    from chosen as c
    left join {{ ref('esms_categories') }} as feed_cat on feed_cat.category_code = c.feed_category_code
)

select
    c.finess_et,
    c.resolved_name as name,
    cat.short_label as category,
    cat.category_code,
    c.category_source,
    c.gestionnaire,
    case when c.from_fhir then coalesce(c.department, c.feed_department) else c.department end as department,
    c.authorized_places,
    coalesce(c.days_open, cat.days_open_default) as days_open,
    c.funder,
    c.siret,
    c.from_fhir,
    c.in_feed,
    c.feed_category,
    c._file,
    c._line
from categorised as c
left join {{ ref('esms_categories') }} as cat on cat.category_code = c.resolved_code
