"""The dbt project as Dagster sees it. Nothing here touches disk at import."""

from __future__ import annotations

import functools

from pipelines import settings


@functools.cache
def dbt_project():
    from dagster_dbt import DbtProject

    project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
    project.prepare_if_dev()  # parses only under `dagster dev` (serafin ui)
    return project


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than its sources (a few seconds)."""
    from dagster_dbt import DbtCliResource

    project = dbt_project()
    if settings.manifest_is_stale(project.manifest_path):
        settings.quiet_telemetry()
        dbt = DbtCliResource(project_dir=project, dbt_executable=settings.dbt_executable())
        dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
