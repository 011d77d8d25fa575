"""Dagster definitions: landing → raw → dbt (validation, core, costs, marts, audit) → data quality → reports, and
what refreshes the warehouse unattended (a monthly schedule and a sensor on the landing folder, both off by default:
pipelines/defs/automation.py)."""

from __future__ import annotations

import warnings

import dagster as dg

# Dagster's own copies of a sensor pass the sensor's `owners` (none here) to a beta parameter: nothing to warn about
warnings.filterwarnings("ignore", message="Parameter `owners` of initializer `SensorDefinition", category=dg.BetaWarning)


def build_definitions(landing: str | None = None, warehouse: str | None = None, reports: str | None = None,
                      raw: str | None = None, work: str | None = None, engine: str = "duckdb") -> dg.Definitions:
    """The project's Definitions. `serafin run` passes every path (pipelines/run.py); under `serafin ui` they default
    to the SERAFIN_* environment variables, and the UI's runs write the warehouse in place."""
    import os

    from pipelines import settings
    from pipelines.defs.automation import landing_folder, monthly_refresh, refresh_warehouse
    from pipelines.defs.dbt import serafin_dbt_assets
    from pipelines.defs.landing import landing_files
    from pipelines.defs.project import dbt_cli, dbt_project
    from pipelines.defs.quality import data_quality
    from pipelines.defs.reports import REPORT_ASSETS
    from pipelines.defs.resources import SerafinPaths
    from pipelines.ingestion.store import raw_folder

    settings.quiet_telemetry()
    warehouse = warehouse or str(settings.warehouse_path())
    return dg.Definitions(
        assets=[landing_files, serafin_dbt_assets(), data_quality, *REPORT_ASSETS],
        jobs=[refresh_warehouse],
        schedules=[monthly_refresh],
        sensors=[landing_folder],
        resources={
            "dbt": dbt_cli(dbt_project()),
            "paths": SerafinPaths(
                landing=landing or os.environ.get(settings.LANDING_ENV, "landing"),
                warehouse=warehouse,
                raw=raw or str(raw_folder(warehouse)),
                work=work or str(settings.cache_dir() / "ui-work"),
                reports=reports or os.environ.get(settings.REPORTS_ENV, "reports/output"),
                engine=engine,
            ),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
