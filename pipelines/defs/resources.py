"""Run settings shared by the landing, dbt and report assets."""

from __future__ import annotations

import dagster as dg


class SerafinPaths(dg.ConfigurableResource):
    """Where a run reads and writes. `warehouse` is the DuckDB file the run builds (pipelines/run.py
    builds a new one beside the current warehouse and swaps it in at the end); `raw` is the folder of
    Parquet row files beside the current warehouse; `work` holds dbt's working files for this run (and Spark's,
    with the Spark engine)."""

    landing: str
    warehouse: str
    raw: str
    work: str
    reports: str = "reports/output"
    engine: str = "duckdb"  # who builds the dbt project: "duckdb" (in the warehouse file) or "spark" (spark_engine)
