{#- One row per FHIR event (TDDUI Encounter) whose type has no SERAFIN-PH coding. The FHIR reader is
    not part of this version: the table exists, empty, so that tools can rely on it. -#}
select
    cast(null as {{ dbt.type_string() }}) as event_id,
    cast(null as {{ dbt.type_string() }}) as file,
    cast(null as {{ dbt.type_string() }}) as other_type_codes
where 1 = 0
