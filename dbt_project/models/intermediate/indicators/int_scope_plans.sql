{#- Plan rows per scope: a row with a FINESS belongs to that ESMS's scope and to platform (and cooperation for a
    member); a row with only a partner_id to platform, and to cooperation when the partner takes part
    (indicators.md, readings 8 and 9; cooperation.md). review_date is reviewed_on, else signed_on. -#}
with plans as (
    select person_id, finess_et, partner_id, start_date, end_date, coalesce(co_built, false) as co_built,
           coalesce(reviewed_on, signed_on) as review_date
    from {{ ref('plans') }}
)

select sc.scope, p.person_id, p.start_date, p.end_date, p.co_built, p.review_date
from plans as p
inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et

union all

select 'platform' as scope, person_id, start_date, end_date, co_built, review_date
from plans
where finess_et is null

union all

-- at the cooperation's scope, a partner-only plan row counts when the partner takes part
select 'cooperation' as scope, person_id, start_date, end_date, co_built, review_date
from plans
where finess_et is null and partner_id in {{ serafin.text_list(serafin.cooperation().get('partners', [])) }}
