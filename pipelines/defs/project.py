"""The dbt project as Dagster sees it. Nothing here touches disk at import.

The project's files are only read: `dbt parse` writes the manifest into the cache folder
(settings.dbt_cache_dir()), and each run's dbt working files go into that run's work folder."""

from __future__ import annotations

import fcntl
import functools

from pipelines import settings
from pipelines.dbt_cli import dbt_cli


@functools.cache
def dbt_project():
    from dagster_dbt import DbtProject

    project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR,
                         target_path=settings.dbt_cache_dir())
    project.prepare_if_dev()  # parses only under `dagster dev` (serafin ui)
    return project


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than its sources (a few seconds).
    Two runs starting at once parse one after the other (a lock in the cache folder)."""
    project = dbt_project()
    cache = settings.dbt_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if settings.manifest_is_stale(project.manifest_path):
            settings.quiet_telemetry()
            dbt = dbt_cli(project)
            dbt.cli(["parse", "--quiet"], target_path=cache).wait()
