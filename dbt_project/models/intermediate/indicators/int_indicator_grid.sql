{#- One row per (scope, year) every indicator is reported for: every scope, and every year with a realised
    activity row or a ledger row of any ESMS (indicators.md, reading 1). -#}
with years as (
    select distinct year from {{ ref('int_activity_realised') }}
    union
    select distinct year from {{ ref('ledger') }} where {{ serafin.selected_years('year') }}
)

select s.scope, y.year
from (select distinct scope from {{ ref('int_indicator_scopes') }}) as s
cross join years as y
