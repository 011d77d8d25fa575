{#- The cooperation's objectives (cooperation.yaml) per year: target, actual (the indicator's value for the
    objective's scope: `platform` means the members together, scope `cooperation` of marts.indicators), its
    numerator and denominator, gap (actual - target) and status (cooperation.md): met, on_track (not met but the
    relative gap is within the tolerance, bound included), off_track, no_data (no target that year, or no
    actual). Rows: every year with data and every target year. Unsuppressed: for steering, the small-cell rule
    applies where a board sees them. -#}
{% set objectives = serafin.cooperation().get('objectives', []) %}

with objectives as (
    {% if objectives %}
    {% for o in objectives %}
    select {{ serafin.sql_text(o.id) }} as objective_id, {{ serafin.sql_text(o.strategic) }} as strategic_objective,
           {{ serafin.sql_text(o.label) }} as label, {{ serafin.sql_text(o.indicator) }} as indicator_id,
           {{ serafin.sql_text(o.scope) }} as scope, {{ serafin.sql_text(o.direction) }} as direction,
           cast({{ o.tolerance }} as double) as tolerance
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% else %}
    select cast(null as {{ dbt.type_string() }}) as objective_id, cast(null as {{ dbt.type_string() }}) as strategic_objective,
           cast(null as {{ dbt.type_string() }}) as label, cast(null as {{ dbt.type_string() }}) as indicator_id,
           cast(null as {{ dbt.type_string() }}) as scope, cast(null as {{ dbt.type_string() }}) as direction,
           cast(null as double) as tolerance
    where 1 = 0
    {% endif %}
),

targets as (
    {% set rows = [] %}
    {% for o in objectives %}{% for year, value in o.targets.items() %}{% do rows.append((o.id, year, value)) %}{% endfor %}{% endfor %}
    {% if rows %}
    {% for id, year, value in rows %}
    select {{ serafin.sql_text(id) }} as objective_id, cast({{ year }} as integer) as year, cast({{ value }} as double) as target
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% else %}
    select cast(null as {{ dbt.type_string() }}) as objective_id, cast(null as integer) as year, cast(null as double) as target
    where 1 = 0
    {% endif %}
),

years as (
    select o.objective_id, g.year
    from objectives as o
    cross join (select distinct year from {{ ref('int_indicator_grid') }}) as g
    union
    select objective_id, year from targets
),

actuals as (
    select
        o.*,
        y.year,
        t.target,
        i.value as actual,
        i.numerator,
        i.denominator,
        i.persons
    from objectives as o
    inner join years as y on y.objective_id = o.objective_id
    left join targets as t on t.objective_id = o.objective_id and t.year = y.year
    left join {{ ref('indicators') }} as i
        on i.indicator_id = o.indicator_id and i.year = y.year
        and i.scope = case when o.scope = 'platform' then 'cooperation' else o.scope end
)

select
    objective_id,
    year,
    strategic_objective,
    label,
    indicator_id,
    scope,
    direction,
    tolerance,
    target,
    actual,
    numerator,
    denominator,
    persons,
    actual - target as gap,
    case
        when target is null or actual is null then 'no_data'
        when (direction = 'increase' and actual >= target) or (direction = 'decrease' and actual <= target) then 'met'
        -- the tolerance bound is inclusive (a rounding hair above it still counts)
        when target <> 0 and abs(actual - target) / abs(target) <= tolerance + 1e-9 then 'on_track'
        else 'off_track'
    end as status
from actuals
