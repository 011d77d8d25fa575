"""Run settings shared by the landing and report assets."""

from __future__ import annotations

import dagster as dg


class SerafinPaths(dg.ConfigurableResource):
    """Where a run reads and writes: the landing folder, the DuckDB warehouse and the reports folder."""

    landing: str
    warehouse: str
    reports: str = "reports/output"
