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

{% set derived = [] %}
{% for s in serafin.scenarios() %}{% for r in s.rules if r.percentile is not none %}{% do derived.append((s.name, r)) %}{% endfor %}{% endfor %}
derived as (
    -- one select per derived rule: the percentile is a constant of the rule (an engine needs it so)
    {% for name, r in derived %}
    select {{ serafin.sql_text(name) }} as scenario, {{ r.no }} as rule_no, year,
           {{ 'category' if r.among == 'category' else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as category,
           {{ serafin.percentile_cont('cost_per_hour', r.percentile / 100.0) }} as tariff,
           count(*) as esms
    from pool
    where prestation_code = {{ serafin.sql_text(r.prestation) }}
    group by year{{ ', category' if r.among == 'category' }}
    union all
    {% endfor %}
    select cast(null as {{ dbt.type_string() }}) as scenario, cast(null as integer) as rule_no,
           cast(null as integer) as year, cast(null as {{ dbt.type_string() }}) as category,
           cast(null as double) as tariff, cast(null as bigint) as esms
    where 1 = 0
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
