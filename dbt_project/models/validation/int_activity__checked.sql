{#- One row per landing row of activity (the large table), with the first failing check.
    Incremental on DuckDB (a monthly refresh, README "Incremental runs"): a run whose only landing change is new
    activity files (pipelines/incremental.py decides, else it passes --full-refresh) validates the rows of those
    files together with the old rows of every event they touch (same event_id and professional_id: the
    duplicate and consistency checks need the whole group), and replaces those rows by (_file, _line). Every
    row written by a run carries that run's `_batch` (a digest of the files it landed, macros/incremental.sql): the cost and indicator models rebuild its years. -#}
{{ config(materialized='incremental' if target.type == 'duckdb' else 'table',
          incremental_strategy='delete+insert', unique_key=['_file', '_line'], on_schema_change='fail') }}
{% set checks = [
    serafin.check_required('event_id'),
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('professional_id'),
    serafin.check_required('prestation_code'),
    serafin.check_code('prestation_code', ['prestation_directe', 'prestation_indirecte'], 'a 2.x or 3.x prestation code'),
    serafin.check_required('started_at'),
    serafin.check_datetime('started_at'),
    serafin.check_plausible_date('started_at', '2000-01-01'),
    serafin.check_datetime('ended_at'),
    {'column': 'ended_at', 'when': 'ended_at <= started_at',
     'reason': "'ended_at ' || " ~ serafin.quoted('ended_at_raw') ~ " || ' is not after started_at ' || " ~ serafin.quoted('started_at_raw')},
    {'column': 'duration_min', 'when': 'duration_min_raw is not null and duration_min_given is null',
     'reason': "'duration_min ' || " ~ serafin.quoted('duration_min_raw') ~ " || ' is not a number of minutes'"},
    {'column': 'duration_min', 'when': 'duration_min_given <= 0 or duration_min_given > 1440',
     'reason': "'duration_min ' || " ~ serafin.quoted('duration_min_raw') ~ " || ' must be more than 0 and at most 1440'"},
    {'column': 'duration_min', 'when': 'duration_min is null',
     'reason': "'no duration: give duration_min or ended_at'"},
    serafin.check_enum('setting', 'setting'),
    serafin.check_enum('status', 'status'),
    serafin.check_code('need_code', ['besoin'], 'a 1.x need code'),
    serafin.check_parsed('outside_plan', 'a yes/no value (1/0, oui/non, true/false, x)'),
    serafin.check_known_establishment(),
    serafin.check_duplicate('event_id, professional_id, person_id'),
    {'column': 'prestation_code', 'when': 'prestation_code <> event_prestation_code',
     'reason': "'prestation_code ' || " ~ serafin.quoted('prestation_code_raw') ~ " || ' differs from ' || " ~ serafin.quoted('event_prestation_code') ~ " || ' given on line ' || cast(event_first_line as " ~ dbt.type_string() ~ ") || ' for the same event_id and professional_id'"},
    {'column': 'duration_min', 'when': 'duration_min <> event_duration_min',
     'reason': "'duration ' || cast(duration_min as " ~ dbt.type_string() ~ ") || ' min differs from ' || cast(event_duration_min as " ~ dbt.type_string() ~ ") || ' min given on line ' || cast(event_first_line as " ~ dbt.type_string() ~ ") || ' for the same event_id and professional_id'"},
] %}


{#- The rows this run validates: every landing row, or on an incremental run the rows of the new files and the
    old rows of the events they touch (a 64-bit hash of the raw keys finds them; a collision only adds rows).
    Those are few: found once (a materialised CTE), not by each of the four reads below scanning every row. -#}
{% if is_incremental() %}
{% set is_new %}_file not in (select distinct _file from {{ this }}){% endset %}
{% set scope_cte %}
scope_rows as materialized (
    select * from {{ ref('stg_landing__activity') }}
    where {{ is_new }}
       or {{ serafin.key_hash(['event_id_raw', 'professional_id_raw']) }} in (
           select {{ serafin.key_hash(['event_id_raw', 'professional_id_raw']) }}
           from {{ ref('stg_landing__activity') }} where {{ is_new }})
),
{% endset %}
{% set scope = 'scope_rows' %}
{% else %}
{% set scope_cte = '' %}
{% set scope = ref('stg_landing__activity') %}
{% endif %}

{%- set duration_mismatch -%}
    staged.duration_min_given is not null and staged.ended_at is not null
    and abs(staged.duration_min_given
            - cast({{ dbt.datediff('staged.started_at', 'staged.ended_at', 'second') }} as decimal(18, 4)) / 60)
        > {{ var('duration_tolerance_min') }}
{%- endset %}

{#- The parsed and normalised rows. Inlined (not a CTE) where it is used twice: DuckDB would otherwise
    materialise millions of wide rows to read them twice (measured 27 s for 5 M rows, benchmarks/RESULTS.md). -#}
{% set normalised %}
    select
        *,
        coalesce(
            duration_min_given,
            cast({{ dbt.datediff('started_at', 'ended_at', 'second') }} as decimal(18, 4)) / 60
        ) as duration_min
    from {{ scope }}
{% endset %}

{#- Duplicates (same event_id, professional_id, person_id) and events whose rows disagree (prestation or
    duration) are rare: two narrow aggregates over a 64-bit hash of the raw keys find the candidate
    groups; the exact, ordered windows that name the first line run on those groups' rows only. Raw
    values that agree parse the same, so comparing raw text finds every candidate; a hash collision
    only adds a candidate, which the exact comparison then clears. -#}
with {{ scope_cte }}
repeated as (
    select {{ serafin.key_hash(['event_id_raw', 'professional_id_raw', "coalesce(person_id_raw, '')"]) }} as row_key
    from {{ scope }}
    group by {{ serafin.key_hash(['event_id_raw', 'professional_id_raw', "coalesce(person_id_raw, '')"]) }}
    having count(*) > 1
),

inconsistent as (
    select {{ serafin.key_hash(['event_id_raw', 'professional_id_raw']) }} as event_key
    from {{ scope }}
    group by {{ serafin.key_hash(['event_id_raw', 'professional_id_raw']) }}
    -- rows that agree on the raw prestation and times have one hash (a difference hiding in a 64-bit
    -- collision is a chance of about 1 in 10^19 per pair of rows)
    having min({{ serafin.key_hash(['prestation_code_raw', 'duration_min_raw', 'started_at_raw', 'ended_at_raw']) }})
        <> max({{ serafin.key_hash(['prestation_code_raw', 'duration_min_raw', 'started_at_raw', 'ended_at_raw']) }})
),

candidates as (
    select n.*
    from ({{ normalised }}) as n
    where {{ serafin.key_hash(['n.event_id_raw', 'n.professional_id_raw', "coalesce(n.person_id_raw, '')"]) }} in (select row_key from repeated)
       or {{ serafin.key_hash(['n.event_id_raw', 'n.professional_id_raw']) }} in (select event_key from inconsistent)
),

windowed as (
    select
        _file,
        _line,
        {{ serafin.duplicate_window(['event_id_raw', 'professional_id_raw', "coalesce(person_id_raw, '')"]) }},
        first_value(prestation_code) over (
            partition by event_id_raw, professional_id_raw order by _file nulls last, _line nulls last) as event_prestation_code,
        first_value(duration_min) over (
            partition by event_id_raw, professional_id_raw order by _file nulls last, _line nulls last) as event_duration_min,
        first_value(_line) over (
            partition by event_id_raw, professional_id_raw order by _file nulls last, _line nulls last) as event_first_line
    from candidates
),

staged as (
    select
        n.*,
        coalesce(w.dup_rank, 1) as dup_rank,
        coalesce(w.first_line, n._line) as first_line,
        coalesce(w.first_file, n._file) as first_file,
        case when w._line is null then n.prestation_code else w.event_prestation_code end as event_prestation_code,
        case when w._line is null then n.duration_min else w.event_duration_min end as event_duration_min,
        coalesce(w.event_first_line, n._line) as event_first_line
    from ({{ normalised }}) as n
    left join windowed as w on w._file = n._file and w._line = n._line
)

select
    staged.event_id_raw as event_id,
    staged.person_id_raw as person_id,
    staged.finess_et_raw as finess_et,
    staged.professional_id_raw as professional_id,
    staged.prestation_code,
    staged.started_at,
    staged.ended_at,
    staged.duration_min,
    staged.setting,
    staged.partner_id_raw as partner_id,
    staged.status,
    staged.need_code,
    coalesce(staged.outside_plan, false) as outside_plan,
    -- a duration given and an end time that disagree: kept (the duration wins), reported as a warning
    -- (audit.data_warnings, which names the two raw texts: kept on those rows only, a text per row less to write)
    case when {{ duration_mismatch }} then true else false end as duration_mismatch,
    case when {{ duration_mismatch }} then staged.ended_at_raw end as ended_at_raw,
    case when {{ duration_mismatch }} then staged.duration_min_raw end as duration_min_raw,
    staged._file,
    staged._line,
    '{{ serafin.batch_id() }}' as _batch,
    {{ serafin.reject_columns(checks) }}
from staged
left join {{ serafin.known_establishments() }} as known_esms on known_esms.finess_et = staged.finess_et_raw
