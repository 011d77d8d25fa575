{#- One row per ESMS × year × ERRD groupe fonctionnel (I exploitation courante, II personnel,
    III structure): charges total, excluded, hors champ and in scope. -#}
select
    finess_et,
    year,
    errd_group,
    sum(amount) as charges_total,
    sum(case when charge_kind = 'excluded' then amount else 0 end) as charges_excluded,
    sum(case when charge_kind = 'hors_champ' then amount else 0 end) as charges_hors_champ,
    sum(case when charge_kind in ('personnel', 'other') then amount else 0 end) as charges_in_scope
from {{ ref('int_charges_classified') }}
group by finess_et, year, errd_group
