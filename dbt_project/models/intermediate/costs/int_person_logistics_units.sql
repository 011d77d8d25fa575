{#- Step 9. One row per ESMS × year × person: nights (calendar days of the year inside a stay of
    a modality that counts nights in nomenclatures/enumerations.csv: internat, hebergement; end date inclusive, open stays to 31 December) and presence days
    (distinct dates with at least one realised activity row of the person). -#}
with nights as (
    select
        ey.finess_et, ey.year, s.person_id,
        sum({{ dbt.datediff(
                'greatest(s.start_date, ' ~ serafin.year_start('ey.year') ~ ')',
                'least(coalesce(s.end_date, ' ~ serafin.year_end('ey.year') ~ '), ' ~ serafin.year_end('ey.year') ~ ')',
                'day') }} + 1) as nights
    from {{ ref('int_esms_years') }} as ey
    inner join {{ ref('stays') }} as s
        on s.finess_et = ey.finess_et
        and s.modality in (
            select value from {{ ref('enumerations') }} where enumeration = 'modality' and counts_nights)
        and s.start_date <= {{ serafin.year_end('ey.year') }}
        and coalesce(s.end_date, {{ serafin.year_end('ey.year') }}) >= {{ serafin.year_start('ey.year') }}
    group by ey.finess_et, ey.year, s.person_id
),

presence as (
    select finess_et, year, person_id, count(distinct activity_date) as presence_days
    from {{ ref('int_activity_realised') }}
    where person_id is not null
    group by finess_et, year, person_id
)

select
    coalesce(n.finess_et, p.finess_et) as finess_et,
    coalesce(n.year, p.year) as year,
    coalesce(n.person_id, p.person_id) as person_id,
    cast(coalesce(n.nights, 0) as bigint) as nights,
    cast(coalesce(p.presence_days, 0) as bigint) as presence_days
from nights as n
full outer join presence as p
    on p.finess_et = n.finess_et and p.year = n.year and p.person_id = n.person_id
