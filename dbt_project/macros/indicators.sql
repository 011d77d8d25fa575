{#-
  Pieces the indicators of marts/quality/catalogue share, written once.
-#}

{#- persons with a total cost above 0 in marts.person_cost, each once per scope and year -#}
{% macro costed_persons() -%}
    select sc.scope, pc.year, count(distinct pc.person_id) as persons
    from {{ ref('person_cost') }} as pc
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = pc.finess_et
    where pc.total_cost > 0
    group by sc.scope, pc.year
{%- endmacro %}

{#- persons who received direct hours, each once per scope and year (in a model built by year, of the years it
    rebuilds: macros/incremental.sql) -#}
{% macro direct_persons() -%}
    select sc.scope, p.year, count(distinct p.person_id) as persons
    from {{ ref('int_person_direct_pairs') }} as p
    inner join {{ ref('int_indicator_scopes') }} as sc on sc.finess_et = p.finess_et
    where true{{ serafin.in_refreshed_years('p.year') }}
    group by sc.scope, p.year
{%- endmacro %}
