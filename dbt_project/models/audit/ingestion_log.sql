{#- One row per landing file: what was read, loaded and rejected, and how it was read. Every row read
    is either loaded (in core), rejected (in audit.rejected_rows) or, for a FHIR event without a SERAFIN-PH
    code, kept in audit.unmapped_events: a test checks the sum. A FHIR file is one file giving rows to several
    tables (source_table fhir). A DSN file's rows are its contract rows (raw.dsn_contracts) and its quarantined
    lines; the staff rows built from several DSN files are loaded or rejected as staff. -#}
{% set tables = var('landing_tables') + var('finess_tables') %}

with loaded_by_table as (
    -- a FHIR file gives rows to several tables; a DSN file's contract rows are its rows (the staff rows they build
    -- span several files: they are judged in audit.rejected_rows as staff, not counted per file)
    {% for t in tables %}
    {% if t == 'establishments' %}
    -- an ESMS declared by several files (establishments.csv and TDDUI Organizations) is one row of core: each
    -- valid declaration is loaded, made one with the others (int_establishments__resolved)
    select _file as file, '{{ t }}' as source_table, count(*) as rows_loaded from {{ ref('int_establishments__checked') }}
    where reject_reason is null group by _file
    {% else %}
    select _file as file, '{{ t }}' as source_table, count(*) as rows_loaded from {{ ref(t) }} group by _file
    {% endif %}
    union all
    {% endfor %}
    select _file as file, 'dsn_contracts' as source_table, count(*) as rows_loaded
    from {{ source('raw', 'dsn_contracts') }}
    group by _file
),

loaded as (
    select f.file, sum(l.rows_loaded) as rows_loaded
    from {{ source('raw', 'ingested_files') }} as f
    inner join loaded_by_table as l
        on l.file = f.file and (l.source_table = 'dsn_contracts') = (f.source_table = 'dsn_contracts')
    group by f.file
),

unmapped as (
    select file, count(*) as rows_unmapped from {{ ref('unmapped_events') }} group by file
),

rejected as (
    select f.file, count(*) as rows_rejected, sum(case when r.line is null then 1 else 0 end) as file_rejections
    from {{ source('raw', 'ingested_files') }} as f
    inner join {{ ref('rejected_rows') }} as r
        on r.file = f.file and (r.source_table = 'dsn_contracts') = (f.source_table = 'dsn_contracts')
    group by f.file
)

select
    f.file,
    f.source_table,
    f.sha256,
    f.format,
    f.encoding,
    f.delimiter,
    f.status,
    f.message,
    f.rows_read,
    cast(coalesce(l.rows_loaded, 0) as bigint) as rows_loaded,
    cast(case when f.status = 'rejected' then f.rows_read
              else coalesce(r.rows_rejected, 0) end as bigint) as rows_rejected,
    cast(coalesce(u.rows_unmapped, 0) as bigint) as rows_unmapped,
    f.columns_dropped_personal,
    f.columns_ignored
from {{ source('raw', 'ingested_files') }} as f
left join loaded as l on l.file = f.file
left join rejected as r on r.file = f.file
left join unmapped as u on u.file = f.file
