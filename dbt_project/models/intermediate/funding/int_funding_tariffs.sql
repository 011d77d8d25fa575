{{ config(tags=['scenario']) }}
{#- The tariff each rule applies to each ESMS and year of its scenario (scenarios.md): the fixed tariff (the
    share for base_share); for per_place the amount of the ESMS's category (0 when the category is not listed);
    for a derived tariff the continuous percentile of marts.cost_per_prestation.cost_per_hour on that exact
    prestation code and year over the ESMS of the same category (among: category) or every ESMS (among: all)
    that have one, the ESMS itself included; none: NULL and a note. per_need_level: NULL (an amount per level). -#}
with pool as (
    -- marts.cost_per_prestation.cost_per_hour: the ESMS-years with a ledger
    select f.year, f.prestation_code, e.category, f.cost_per_hour
    from {{ ref('int_direct_full_cost') }} as f
    inner join {{ ref('int_esms_years') }} as ey on ey.finess_et = f.finess_et and ey.year = f.year
    inner join {{ ref('establishments') }} as e on e.finess_et = f.finess_et
    where ey.has_ledger and f.cost_per_hour is not null
),

derived_rules as (
    select scenario, rule_no, prestation_code, among, percentile / 100.0 as p
    from {{ ref('int_funding_rules') }}
    where percentile is not null
),

ranked as (
    -- each derived rule's pool, per year (and category with among: category), sorted by cost per hour
    select
        r.scenario, r.rule_no, pl.year, case when r.among = 'category' then pl.category end as category,
        r.p, pl.cost_per_hour,
        row_number() over (partition by r.scenario, r.rule_no, pl.year,
                                        case when r.among = 'category' then pl.category end
                           order by pl.cost_per_hour nulls last) as rank_,
        count(*) over (partition by r.scenario, r.rule_no, pl.year,
                                    case when r.among = 'category' then pl.category end) as esms
    from derived_rules as r
    inner join pool as pl on pl.prestation_code = r.prestation_code
),

bounds as (
    -- the continuous percentile p: the value at position h = (n - 1) × p of the sorted pool (counted from 0), by
    -- linear interpolation between the two values around it, as quantile_cont and Spark's percentile do; written
    -- out because the percentile is a column of the rules here, where those functions need a constant
    select
        scenario, rule_no, year, category, esms,
        (esms - 1) * p - floor((esms - 1) * p) as weight,
        max(case when rank_ = floor((esms - 1) * p) + 1 then cost_per_hour end) as below,
        max(case when rank_ = floor((esms - 1) * p) + 2 then cost_per_hour end) as above
    from ranked
    group by scenario, rule_no, year, category, esms, p
),

derived as (
    select scenario, rule_no, year, category, below + weight * (coalesce(above, below) - below) as tariff, esms
    from bounds
)

select
    g.scenario,
    r.rule_no,
    g.finess_et,
    g.year,
    case
        when r.kind = 'per_place' then coalesce(v.value_, 0)
        when r.percentile is not null then d.tariff
        else r.tariff
    end as tariff,
    case
        when r.percentile is not null and d.esms is null
            then 'aucun ESMS ' || case when r.among = 'category' then 'de la catégorie ' || coalesce(g.category, '?') || ' '
                                      else '' end
                 || 'n’a de coût horaire pour ' || r.prestation_code || ' en ' || cast(g.year as {{ dbt.type_string() }})
                 || ' : la règle ne paie rien'
        when r.percentile is not null
            then 'centile ' || cast(r.percentile as {{ dbt.type_string() }}) || ' du coût horaire de ' || r.prestation_code
                 || ' parmi ' || cast(d.esms as {{ dbt.type_string() }}) || ' ESMS'
                 || case when r.among = 'category' then ' de la catégorie ' || g.category else '' end
        when r.kind = 'per_place' and v.value_ is null
            then 'catégorie ' || coalesce(g.category, '?') || ' absente de la règle : 0 par place'
    end as note
from {{ ref('int_funding_grid') }} as g
inner join {{ ref('int_funding_rules') }} as r on r.scenario = g.scenario
left join {{ ref('int_funding_rule_values') }} as v
    on v.scenario = r.scenario and v.rule_no = r.rule_no and v.list = 'amount' and r.kind = 'per_place'
    and v.key_ = g.category
left join derived as d
    on d.scenario = r.scenario and d.rule_no = r.rule_no and d.year = g.year
    and (d.category = g.category or (r.among = 'all' and d.category is null))
