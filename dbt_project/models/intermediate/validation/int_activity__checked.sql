{#- One row per landing row of activity (the large table), with the first failing check. -#}
{% set checks = [
    serafin.check_required('event_id'),
    serafin.check_required('finess_et'),
    serafin.check_finess('finess_et'),
    serafin.check_required('professional_id'),
    serafin.check_required('prestation_code'),
    serafin.check_code('prestation_code', ['prestation_directe', 'prestation_indirecte'], 'a 2.x or 3.x prestation code'),
    serafin.check_required('started_at'),
    serafin.check_parsed('started_at', 'a date-time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)'),
    serafin.check_parsed('ended_at', 'a date-time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)'),
    {'column': 'ended_at', 'when': 'ended_at <= started_at',
     'reason': "'ended_at ' || " ~ serafin.quoted('ended_at_raw') ~ " || ' is not after started_at ' || " ~ serafin.quoted('started_at_raw')},
    {'column': 'duration_min', 'when': 'duration_min_raw is not null and duration_min_given is null',
     'reason': "'duration_min ' || " ~ serafin.quoted('duration_min_raw') ~ " || ' is not a number of minutes'"},
    {'column': 'duration_min', 'when': 'duration_min_given <= 0 or duration_min_given > 1440',
     'reason': "'duration_min ' || " ~ serafin.quoted('duration_min_raw') ~ " || ' must be more than 0 and at most 1440'"},
    {'column': 'duration_min', 'when': 'duration_min is null',
     'reason': "'no duration: give duration_min or ended_at'"},
    {'column': 'setting', 'when': 'setting_raw is not null and setting is null',
     'reason': "'setting ' || " ~ serafin.quoted('setting_raw') ~ " || ' is not one of structure, domicile, ecole, entreprise, cite, partenaire, distance'"},
    {'column': 'status', 'when': 'status_raw is not null and status is null',
     'reason': "'status ' || " ~ serafin.quoted('status_raw') ~ " || ' is not one of realise, annule, planifie'"},
    serafin.check_code('need_code', ['besoin'], 'a 1.x need code'),
    serafin.check_parsed('outside_plan', 'a yes/no value (1/0, oui/non, true/false, x)'),
    serafin.check_known_establishment(),
    serafin.check_duplicate('event_id, professional_id, person_id'),
    {'column': 'prestation_code', 'when': 'prestation_code <> event_prestation_code',
     'reason': "'prestation_code ' || " ~ serafin.quoted('prestation_code_raw') ~ " || ' differs from ' || " ~ serafin.quoted('event_prestation_code') ~ " || ' given on line ' || cast(event_first_line as " ~ dbt.type_string() ~ ") || ' for the same event_id and professional_id'"},
    {'column': 'duration_min', 'when': 'duration_min <> event_duration_min',
     'reason': "'duration ' || cast(duration_min as " ~ dbt.type_string() ~ ") || ' min differs from ' || cast(event_duration_min as " ~ dbt.type_string() ~ ") || ' min given on line ' || cast(event_first_line as " ~ dbt.type_string() ~ ") || ' for the same event_id and professional_id'"},
] %}

with normalised as (
    select
        *,
        case
            when setting_folded in ('structure', 'etablissement', 'esms', 'sur_site') then 'structure'
            when setting_folded in ('domicile', 'a_domicile') then 'domicile'
            when setting_folded in ('ecole', 'scolaire', 'milieu_scolaire', 'college', 'lycee') then 'ecole'
            when setting_folded in ('entreprise', 'travail', 'milieu_professionnel') then 'entreprise'
            when setting_folded in ('cite', 'lieu_ordinaire', 'milieu_ordinaire') then 'cite'
            when setting_folded in ('partenaire', 'chez_partenaire') then 'partenaire'
            when setting_folded in ('distance', 'a_distance', 'teleconsultation', 'visio') then 'distance'
        end as setting,
        case
            when status_raw is null or status_folded in ('realise', 'fait', 'effectue', 'finished') then 'realise'
            when status_folded in ('annule', 'cancelled', 'absent') then 'annule'
            when status_folded in ('planifie', 'prevu', 'planned') then 'planifie'
        end as status,
        coalesce(
            duration_min_given,
            cast({{ dbt.datediff('started_at', 'ended_at', 'second') }} as decimal(18, 4)) / 60
        ) as duration_min
    from {{ ref('stg_landing__activity') }}
),

-- Duplicates and per-event consistency (the large table): aggregates find the few groups that need a
-- look; the ordered windows that name the first line run on those groups' rows only.
keyed as (
    select normalised.*, coalesce(person_id_raw, '') as person_key
    from normalised
),

repeated as (
    select event_id_raw, professional_id_raw, person_key
    from keyed
    group by event_id_raw, professional_id_raw, person_key
    having count(*) > 1
),

inconsistent as (
    select event_id_raw, professional_id_raw
    from keyed
    group by event_id_raw, professional_id_raw
    having min(coalesce(prestation_code, '?')) <> max(coalesce(prestation_code, '?'))
        or min(coalesce(duration_min, -1)) <> max(coalesce(duration_min, -1))
),

flags as (
    select keyed.*,
           (r.event_id_raw is not null or i.event_id_raw is not null) as needs_window
    from keyed
    left join repeated as r
        on r.event_id_raw = keyed.event_id_raw and r.professional_id_raw = keyed.professional_id_raw
        and r.person_key = keyed.person_key
    left join inconsistent as i
        on i.event_id_raw = keyed.event_id_raw and i.professional_id_raw = keyed.professional_id_raw
),

staged as (
    select
        flags.*,
        cast(1 as bigint) as dup_rank,
        _line as first_line,
        _file as first_file,
        prestation_code as event_prestation_code,
        duration_min as event_duration_min,
        _line as event_first_line
    from flags
    where not needs_window

    union all

    select
        flags.*,
        {{ serafin.duplicate_window(['event_id_raw', 'professional_id_raw', 'person_key']) }},
        first_value(prestation_code) over (
            partition by event_id_raw, professional_id_raw order by _file nulls last, _line nulls last) as event_prestation_code,
        first_value(duration_min) over (
            partition by event_id_raw, professional_id_raw order by _file nulls last, _line nulls last) as event_duration_min,
        first_value(_line) over (
            partition by event_id_raw, professional_id_raw order by _file nulls last, _line nulls last) as event_first_line
    from flags
    where needs_window
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
    case when staged.duration_min_given is not null and staged.ended_at is not null
          and abs(staged.duration_min_given
                  - cast({{ dbt.datediff('staged.started_at', 'staged.ended_at', 'second') }} as decimal(18, 4)) / 60)
              > {{ var('duration_tolerance_min') }}
         then true else false end as duration_mismatch,
    staged.ended_at_raw,
    staged.duration_min_raw,
    staged._file,
    staged._line,
    {{ serafin.reject_columns(checks) }}
from staged
left join (select finess_et from {{ ref('establishments') }}) as known_esms on known_esms.finess_et = staged.finess_et_raw
