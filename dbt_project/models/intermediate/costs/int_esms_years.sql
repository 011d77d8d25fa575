{#- One row per ESMS × year that has a ledger, staff or realised activity: the scope of the cost method. -#}
select finess_et, year from {{ ref('ledger') }}
union
select finess_et, year from {{ ref('staff') }}
union
select finess_et, year from {{ ref('int_activity_realised') }}
