{#- One row per (scope, ESMS in it): each ESMS is its own scope, and every ESMS is in `platform` (the landing
    folder's ESMS together). An indicator joins its rows to this model to be computed for every scope. -#}
select finess_et as scope, finess_et from {{ ref('establishments') }}
union all
select 'platform' as scope, finess_et from {{ ref('establishments') }}
