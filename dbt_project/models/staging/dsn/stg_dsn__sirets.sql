{#- Which ESMS each DSN workplace SIRET is: by hand (comptabilite.yaml `sirets:`, the var dsn_sirets), else the
    establishments file's siret, else the FINESS feed's SIRET of one of the gestionnaire's establishments. The first
    source that knows a SIRET decides; when it names several ESMS (one site, several FINESS), the SIRET is not
    placed and `candidates` lists them. -#}
{% set by_hand = serafin.run_var('dsn_sirets') or {} %}
with candidates as (
    {% for siret, finess in by_hand.items() %}
    select {{ serafin.sql_text(siret) }} as siret, {{ serafin.sql_text(finess) }} as finess_et, 1 as priority,
        'comptabilite.yaml' as placed_by
    union all
    {% endfor %}
    select siret, finess_et_raw as finess_et, 2 as priority, 'establishments' as placed_by
    from {{ ref('stg_landing__establishments') }}
    where siret is not null
    union all
    select f.siret, f.finess_et_raw as finess_et, 3 as priority, 'finess' as placed_by
    from {{ ref('stg_finess__establishments') }} as f
    where f.siret is not null
        and f.finess_et_raw in (select e.finess_et_raw from {{ ref('stg_landing__establishments') }} as e)
),

first_source as (
    select siret, min(priority) as priority from candidates group by siret
)

select
    c.siret,
    min(c.placed_by) as placed_by,
    case when count(distinct c.finess_et) = 1 then min(c.finess_et) end as finess_et,
    case when count(distinct c.finess_et) > 1 then {{ serafin.sorted_list('c.finess_et') }} end as candidates
from candidates as c
inner join first_source as f on f.siret = c.siret and f.priority = c.priority
group by c.siret
