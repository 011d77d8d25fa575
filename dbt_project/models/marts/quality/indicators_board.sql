{#- marts.indicators as a board, the COPIL or the CPOM negotiation may see it: no person-level data, and every
    figure whose persons are fewer than var small_cell_k (5) shown as "< 5" (macro small_cell): value,
    numerator and denominator are text. -#}
select
    scope,
    year,
    indicator_id,
    label,
    unit,
    has_theme,
    anap_axis,
    {{ serafin.small_cell('value', 'persons', 4) }} as value,
    {{ serafin.small_cell('numerator', 'persons', 2) }} as numerator,
    {{ serafin.small_cell('denominator', 'persons', 2) }} as denominator,
    {{ serafin.small_cell('change', 'persons', 4) }} as change,
    persons >= {{ serafin.setting('small_cell_k') }} as shown
from {{ ref('indicators') }}
