{{ config(severity='error', store_failures=true, schema='audit') }}
{#- The reconciliation gate (cost-method.md step 10): per ESMS and year, charges_total = excluded +
    hors_champ + in_scope and in_scope = allocated_to_persons + unallocated, each within 0.01 €.
    Any row returned fails `dbt build`, and so `serafin run`, whose one-line reason is the first row's
    `message` (stored in audit.assert_costs_reconcile_to_ledger, read by pipelines/run.py). -#}
select
    finess_et,
    year,
    delta,
    scope_delta,
    'reconciliation failed for ESMS ' || finess_et || ' year ' || cast(year as {{ dbt.type_string() }})
        || ': gap ' || {{ serafin.format_amount('delta + scope_delta') }} || ' EUR' as message
from {{ ref('cost_reconciliation') }}
where abs(delta) > 0.01 or abs(scope_delta) > 0.01
