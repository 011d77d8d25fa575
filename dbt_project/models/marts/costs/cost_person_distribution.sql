{#- The distribution of the full cost per person (marts.person_cost, total cost > 0) per ESMS category and year:
    persons, mean, and the deciles (p10 … p90, p50 the median) and quartiles, continuous percentiles. Finance
    directors compare baskets within a category (the ESMS without category are left out); no person-level data.
    Euros rounded to the cent: a mean of doubles is otherwise not the same to the last bit from one run to the next. -#}
with costs as (
    select e.category, pc.year, pc.total_cost
    from {{ ref('person_cost') }} as pc
    inner join {{ ref('establishments') }} as e on e.finess_et = pc.finess_et
    where pc.total_cost > 0 and e.category is not null  -- an ESMS without category has no category to compare in
)

select
    category,
    year,
    count(*) as persons,
    round(avg(total_cost), 2) as mean_cost,
    round(min(total_cost), 2) as min_cost,
    {% for p in [10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90] -%}
    round({{ serafin.percentile_cont('total_cost', p / 100) }}, 2) as p{{ p }},
    {% endfor -%}
    round(max(total_cost), 2) as max_cost
from costs
group by category, year
