"""The dbt project as Dagster sees it. Nothing here touches disk at import.

The project's files are only read: `dbt parse` writes the manifest into the cache folder
(settings.dbt_cache_dir()), and each run's dbt working files go into that run's work folder."""

from __future__ import annotations

import fcntl
import functools
from typing import TYPE_CHECKING

from pipelines import settings

if TYPE_CHECKING:
    from dagster_dbt import DbtCliResource


@functools.cache
def dbt_project():
    from dagster_dbt import DbtProject

    project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR,
                         target_path=settings.dbt_cache_dir())
    project.prepare_if_dev()  # parses only under `dagster dev` (serafin ui)
    return project


def dbt_cli(project_dir) -> DbtCliResource:
    """The dbt command line for Dagster: `serafin-dbt` (pipelines/dbt_child.py) on the project."""
    return _serafin_cli_class()(project_dir=project_dir, dbt_executable=settings.dbt_executable())


@functools.cache
def _serafin_cli_class():
    from dagster_dbt import DbtCliResource
    from packaging import version

    class SerafinDbtCli(DbtCliResource):
        """dagster-dbt's resource, told its dbt's version: `serafin-dbt` runs the dbt-core installed beside it, so
        the version is the package's. dagster-dbt would otherwise run `dbt --version` at each invocation's start
        (2 s, and a request to PyPI for the latest release), and load a dbt adapter it does not need here."""

        @property
        def _cli_version(self) -> version.Version:
            from dbt.version import __version__

            return version.parse(__version__)

        def _initialize_dbt_core_adapter(self, args):
            """None: dagster-dbt loads the dbt project and its macros in this process (about 1 s before each
            build) only to fetch row counts or column metadata, which the pipeline does not ask for."""
            return None

    return SerafinDbtCli


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
