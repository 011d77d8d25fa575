{#- The CPOM's trajectory, per ESMS and for each gestionnaire (FINESS EJ): the observed years (charges in scope,
    personnel and other charges, funding from the class 7 tarification products, authorised places, file active,
    direct hours, cost per place) and a projection over the CPOM's years from nomenclatures/cpom_parameters.csv,
    overridden by the landing folder's cpom.yaml (var cpom): personnel and other charges grow yearly from the
    ESMS's last observed year, places change as planned, file active and direct hours follow the places, the
    current funding is updated yearly, the target scenario's funding (its last observed year, scaled by the
    places and updated likewise) is reached by linear convergence. One row per level × entity × year × measure,
    each projected figure with the rule that made it (in French, as the CPOM annex prints it). -#}
{% set cpom = serafin.run_var('cpom') or {} %}
{% set overrides = [] %}
{% for key in ['cpom_years', 'personnel_growth', 'other_growth', 'funding_growth', 'convergence_years'] if cpom.get(key) is not none %}
    {% do overrides.append([serafin.sql_text(key), serafin.sql_number(cpom[key])]) %}
{% endfor %}
{% set changes = [] %}
{% for c in cpom.get('places', []) %}
    {% do changes.append([serafin.sql_text(c.finess_et), c.year, c.change]) %}
{% endfor %}
{% set offsets = [] %}
{% for k in range(10) %}{% do offsets.append([k]) %}{% endfor %}
with overrides as (
    {{ serafin.rows_relation(overrides, [('parameter', 'string'), ('value_', 'double')]) }}
),

params as (
    select
        max(case when d.parameter = 'cpom_years' then coalesce(o.value_, d.value) end) as cpom_years,
        max(case when d.parameter = 'personnel_growth' then coalesce(o.value_, d.value) end) as gp,
        max(case when d.parameter = 'other_growth' then coalesce(o.value_, d.value) end) as go,
        max(case when d.parameter = 'funding_growth' then coalesce(o.value_, d.value) end) as gf,
        max(case when d.parameter = 'convergence_years' then coalesce(o.value_, d.value) end) as convergence_years
    from {{ ref('cpom_parameters') }} as d
    left join overrides as o on o.parameter = d.parameter
),

place_changes as (
    {{ serafin.rows_relation(changes, [('finess_et', 'string'), ('year', 'integer'), ('change', 'integer')]) }}
),

file_active as (
    select scope as finess_et, year, cast(count(*) as double) as file_active
    from {{ ref('int_file_active') }}
    group by scope, year
),

direct_hours as (
    select finess_et, year, sum(professional_hours) as direct_hours
    from {{ ref('int_direct_full_cost') }}
    group by finess_et, year
),

target as (
    select finess_et, year, scenario_funding as target_funding
    from {{ ref('funding_scenario') }}
    where scenario = {{ serafin.sql_text(cpom.get('target_scenario')) }}
),

observed as (
    select
        r.finess_et,
        coalesce(e.gestionnaire, '(sans EJ)') as gestionnaire,
        r.year,
        r.charges_in_scope,
        r.personnel_ledger as personnel_charges,
        r.charges_in_scope - r.personnel_ledger as other_charges,
        b.baseline_funding,
        t.target_funding,
        b.baseline_funding as funding,
        coalesce(b.other_products, 0) as other_products,
        cast(coalesce(e.authorized_places, 0) as double) as places,
        coalesce(fa.file_active, 0) as file_active,
        coalesce(h.direct_hours, 0) as direct_hours
    from {{ ref('cost_reconciliation') }} as r
    inner join {{ ref('establishments') }} as e on e.finess_et = r.finess_et
    left join {{ ref('int_funding_baseline') }} as b on b.finess_et = r.finess_et and b.year = r.year
    left join target as t on t.finess_et = r.finess_et and t.year = r.year
    left join file_active as fa on fa.finess_et = r.finess_et and fa.year = r.year
    left join direct_hours as h on h.finess_et = r.finess_et and h.year = r.year
    where r.has_ledger
),

cpom_years as (
    select s.start_year + o.k as year, s.start_year
    from (select coalesce({{ cpom.get('start_year') or 'null' }}, max(year) + 1) as start_year from observed) as s
    cross join ({{ serafin.rows_relation(offsets, [('k', 'integer')]) }}) as o
    cross join params as p
    where o.k < p.cpom_years
),

base as (
    -- each ESMS's last observed year before the CPOM
    select o.*, row_number() over (partition by o.finess_et order by o.year desc nulls last) as rank_
    from observed as o
    where o.year < (select min(start_year) from cpom_years)
),

planned as (
    -- the changes of places planned up to each CPOM year
    select c.finess_et, y.year, sum(c.change) as change
    from place_changes as c
    inner join cpom_years as y on c.year <= y.year
    group by c.finess_et, y.year
),

projected as (
    select
        b.finess_et,
        b.gestionnaire,
        y.year,
        y.year - b.year as gap,
        b.year as base_year,
        b.personnel_charges * power(1 + p.gp, y.year - b.year) as personnel_charges,
        b.other_charges * power(1 + p.go, y.year - b.year) as other_charges,
        b.baseline_funding * power(1 + p.gf, y.year - b.year) as baseline_funding,
        b.other_products * power(1 + p.gf, y.year - b.year) as other_products,
        b.places + coalesce(pc.change, 0) as places,
        b.places as base_places,
        b.file_active as base_file_active,
        b.direct_hours as base_direct_hours,
        b.target_funding as base_target_funding,
        least(1.0, (y.year - y.start_year + 1) / p.convergence_years) as convergence,
        p.gp, p.go, p.gf, p.convergence_years
    from base as b
    cross join cpom_years as y
    cross join params as p
    left join planned as pc on pc.finess_et = b.finess_et and pc.year = y.year
    where b.rank_ = 1
),

projected_figures as (
    select
        *,
        personnel_charges + other_charges as charges_in_scope,
        base_file_active * places / nullif(base_places, 0) as file_active,
        base_direct_hours * places / nullif(base_places, 0) as direct_hours,
        base_target_funding * places / nullif(base_places, 0) * power(1 + gf, gap) as target_funding
    from projected
),

{% set measures = [
    ('charges_in_scope', 'Charges dans le champ', "'charges de personnel + autres charges projetées'"),
    ('personnel_charges', 'Charges de personnel', "'charges de personnel ' || cast(base_year as string) || ' × (1 + ' || cast(round(gp * 100, 2) as string) || ' %) ^ ' || cast(gap as string)"),
    ('other_charges', 'Autres charges', "'autres charges ' || cast(base_year as string) || ' × (1 + ' || cast(round(go * 100, 2) as string) || ' %) ^ ' || cast(gap as string)"),
    ('baseline_funding', 'Financement actuel actualisé', "'produits de la tarification ' || cast(base_year as string) || ' × (1 + ' || cast(round(gf * 100, 2) as string) || ' %) ^ ' || cast(gap as string)"),
    ('target_funding', 'Financement du modèle cible', "'scénario cible ' || cast(base_year as string) || ' × places ' || cast(year as string) || ' / places ' || cast(base_year as string) || ' × (1 + ' || cast(round(gf * 100, 2) as string) || ' %) ^ ' || cast(gap as string)"),
    ('funding', 'Financement de la trajectoire', "case when target_funding is null then 'financement actuel actualisé (pas de scénario cible)' else 'financement actuel + (cible - actuel) × ' || cast(round(convergence * 100, 1) as string) || ' % (convergence linéaire sur ' || cast(convergence_years as string) || ' ans)' end"),
    ('other_products', 'Autres produits', "'autres produits ' || cast(base_year as string) || ' × (1 + ' || cast(round(gf * 100, 2) as string) || ' %) ^ ' || cast(gap as string)"),
    ('result', 'Résultat (financement + autres produits - charges)', "'financement de la trajectoire + autres produits - charges dans le champ'"),
    ('places', 'Places autorisées', "'places ' || cast(base_year as string) || ' + changements prévus jusqu’en ' || cast(year as string)"),
    ('file_active', 'File active', "'file active ' || cast(base_year as string) || ' × places ' || cast(year as string) || ' / places ' || cast(base_year as string)"),
    ('direct_hours', 'Heures de prestations directes', "'heures directes ' || cast(base_year as string) || ' × places ' || cast(year as string) || ' / places ' || cast(base_year as string)"),
    ('cost_per_place', 'Coût par place', "'charges dans le champ / places autorisées'"),
] %}
{% set value_of = {
    'funding': 'case when target_funding is null then baseline_funding else baseline_funding + (target_funding - baseline_funding) * convergence end',
    'result': '(case when target_funding is null then baseline_funding else baseline_funding + (target_funding - baseline_funding) * convergence end) + other_products - charges_in_scope',
    'cost_per_place': 'charges_in_scope / nullif(places, 0)',
} %}
{% set observed_value_of = {
    'result': 'funding + other_products - charges_in_scope',
    'cost_per_place': 'charges_in_scope / nullif(places, 0)',
} %}
{% set measure_rows = [] %}
{% for code, label, rule in measures %}
{% do measure_rows.append([loop.index, serafin.sql_text(code), serafin.sql_text(label)]) %}
{% endfor %}

{#- each measure a row of every observed and every projected ESMS-year: two branches crossed with the measures
    (one branch per measure made Spark plan `observed` and the projection 36 times: 37 s for a few rows) -#}
measure_list as (
    {{ serafin.rows_relation(measure_rows, [('measure_no', 'integer'), ('measure', 'string'), ('measure_label', 'string')]) }}
),

esms_rows as (
    select o.finess_et, o.gestionnaire, o.year, m.measure_no, m.measure, m.measure_label, 'observé' as status,
           case m.measure
           {%- for code, label, rule in measures %}
               when '{{ code }}' then {{ observed_value_of.get(code, code) }}
           {%- endfor %}
           end as value_,
           'observé (comptes, activité et scénario de l’exercice)' as rule
    from observed as o
    cross join measure_list as m
    union all
    select p.finess_et, p.gestionnaire, p.year, m.measure_no, m.measure, m.measure_label, 'projeté',
           case m.measure
           {%- for code, label, rule in measures %}
               when '{{ code }}' then {{ value_of.get(code, code) }}
           {%- endfor %}
           end,
           case m.measure
           {%- for code, label, rule in measures %}
               when '{{ code }}' then {{ rule | replace('string', dbt.type_string()) }}
           {%- endfor %}
           end
    from projected_figures as p
    cross join measure_list as m
),

gestionnaire_sums as (
    select gestionnaire, year, status, measure_no, measure, measure_label, sum(value_) as value_
    from esms_rows
    where measure <> 'cost_per_place'
    group by gestionnaire, year, status, measure_no, measure, measure_label
),

{% set cost_per_place_no = (measures | map(attribute=0) | list).index('cost_per_place') + 1 %}
gestionnaire_rows as (
    select gestionnaire, year, status, measure_no, measure, measure_label, value_ from gestionnaire_sums
    union all
    -- the gestionnaire's cost per place: its charges over its places (one pass: a self-join of the sums trips
    -- Spark's optimizer)
    select gestionnaire, year, status, {{ cost_per_place_no }}, 'cost_per_place', '{{ measures[cost_per_place_no - 1][1] }}',
           max(case when measure = 'charges_in_scope' then value_ end)
           / nullif(max(case when measure = 'places' then value_ end), 0)
    from gestionnaire_sums
    group by gestionnaire, year, status
)

select
    'esms' as level, finess_et as entity, gestionnaire, year, status, measure_no, measure, measure_label,
    value_ as value, rule, {{ serafin.sql_text(cpom.get('target_scenario')) }} as target_scenario
from esms_rows
union all
select
    'gestionnaire', entity, gestionnaire, year, status, measure_no, measure, measure_label, value_,
    case when measure = 'cost_per_place' then 'charges dans le champ / places autorisées du gestionnaire'
         else 'somme des ESMS du gestionnaire (chacun selon sa règle)' end,
    {{ serafin.sql_text(cpom.get('target_scenario')) }}
-- the gestionnaire is its own entity: through a subquery, as Spark 4.3's optimizer fails on a union branch that
-- projects one column twice (PLAN_VALIDATION_FAILED_RULE_IN_BATCH, RemoveRedundantAliases)
from (select gestionnaire as entity, g.* from gestionnaire_rows as g) as gestionnaire_entities
