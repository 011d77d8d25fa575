"""dbt's command line as dagster-dbt drives it: `serafin-dbt` (pipelines/dbt_child.py) on the project. Used by the
dbt asset (pipelines/defs/) and by a scenario re-run, which runs dbt without Dagster (pipelines/scenarios.py)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from pipelines import settings

if TYPE_CHECKING:
    from dagster_dbt import DbtCliResource


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
