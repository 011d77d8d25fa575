"""Dagster definitions: landing → raw → dbt (validation, core, costs, marts, audit) → reports."""

from __future__ import annotations

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from dagster_dbt import DbtCliResource

    from pipelines import settings
    from pipelines.defs.dbt import serafin_dbt_assets
    from pipelines.defs.landing import landing_files
    from pipelines.defs.project import dbt_project
    from pipelines.defs.reports import cost_report
    from pipelines.defs.resources import SerafinPaths

    settings.quiet_telemetry()
    return dg.Definitions(
        assets=[landing_files, serafin_dbt_assets(), cost_report],
        resources={
            "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=settings.dbt_executable()),
            "paths": SerafinPaths(
                landing=dg.EnvVar(settings.LANDING_ENV).get_value("landing") or "landing",
                warehouse=str(settings.warehouse_path()),
                reports=dg.EnvVar(settings.REPORTS_ENV).get_value("reports/output") or "reports/output",
            ),
        },
    )
