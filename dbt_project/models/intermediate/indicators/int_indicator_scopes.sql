{#- One row per (scope, ESMS in it): each ESMS is its own scope; every ESMS is in `platform` (the landing
    folder's ESMS together); the members of cooperation.yaml are in `cooperation` (the objectives' platform:
    cooperation.md). An indicator joins its rows to this model to be computed for every scope. -#}
select finess_et as scope, finess_et from {{ ref('establishments') }}
union all
select 'platform' as scope, finess_et from {{ ref('establishments') }}
union all
select 'cooperation' as scope, finess_et from {{ ref('establishments') }}
where finess_et in {{ serafin.text_list(serafin.cooperation().get('members', [])) }}
