{#- One row per ESMS × year × ERRD groupe fonctionnel (I exploitation courante, II personnel,
    III structure): charges total, excluded, hors champ and in scope. -#}
select
    finess_et,
    year,
    errd_group,
    {{ serafin.charge_buckets() }}
from {{ ref('int_charges_classified') }}
group by finess_et, year, errd_group
