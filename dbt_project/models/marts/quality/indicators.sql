{#- Every indicator of the catalogue (nomenclatures/indicator_catalogue.csv; each defined by the model of the
    same name in marts/quality/catalogue/) per scope (each ESMS, and platform) and year: value, numerator,
    denominator, the persons the denominator counts (for the small-cell rule), the value of the year before
    and the change. A ratio with a zero denominator is NULL, never 0. -#}
{% set indicator_ids = ['file_active', 'occupancy_rate', 'inclusion_share', 'partner_share', 'needs_coverage_rate',
                        'pp_review_rate', 'co_built_rate', 'coordination_rate', 'rupture_rate', 'outside_plan_share',
                        'cost_per_person', 'cost_per_place', 'direct_cost_share'] %}

with computed as (
    {% for indicator_id in indicator_ids %}
    select '{{ indicator_id }}' as indicator_id, scope, year,
           cast(numerator as double) as numerator, cast(denominator as double) as denominator,
           cast(persons as bigint) as persons
    from {{ ref(indicator_id) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

valued as (
    select
        c.scope,
        c.year,
        c.indicator_id,
        case when c.denominator = 0 then null else c.numerator / c.denominator end as value,
        c.numerator,
        c.denominator,
        c.persons,
        k.label,
        k.unit,
        k.has_theme,
        k.anap_axis
    from computed as c
    inner join {{ ref('indicator_catalogue') }} as k on k.indicator_id = c.indicator_id
)

select
    v.*,
    p.value as previous_value,
    v.value - p.value as change
from valued as v
left join valued as p on p.scope = v.scope and p.indicator_id = v.indicator_id and p.year = v.year - 1
