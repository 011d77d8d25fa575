{#- One row per rejected input row: file, line, column, value and a reason a person understands.
    Rows the validation models rejected, plus those the ingestion could not split into columns and
    whole files it quarantined (line empty). -#}
{% set tables = var('landing_tables') + var('finess_tables') %}

{% for t in tables %}
select
    '{{ t }}' as source_table,
    _file as file,
    cast(_line as bigint) as line,
    reject_column as column_name,
    cast(reject_value as {{ dbt.type_string() }}) as value,
    reject_reason as reason
from {{ ref('int_' ~ t ~ '__checked') }}
where reject_reason is not null
union all
{% endfor %}
select
    source_table,
    file,
    cast(line as bigint) as line,
    column_name,
    value,
    reason
from {{ source('raw', 'row_rejections') }}
