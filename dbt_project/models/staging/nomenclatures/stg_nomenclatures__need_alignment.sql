{#- The alignment of needs with prestations (nomenclatures/needs_to_prestations.csv) spelled out: one row per
    (need, SERAFIN-PH prestation code) the need is aligned with, a mapped code covering itself and every code
    below it (2.1 covers 2.1.2.1; indicators.md, reading 6), so that activity joins it on equality. -#}
select distinct m.need_code, c.code as prestation_code
from {{ ref('needs_to_prestations') }} as m
inner join {{ ref('serafin_codes') }} as c
    on {{ serafin.code_under('c.code', 'm.prestation_code') }}
