"""dbt's command line for a run (pipelines/dbt_build.arguments), a pure function of the run's plan and options."""

from __future__ import annotations

import json

from pipelines.dbt_build import Options, arguments, var_values
from pipelines.incremental import Plan


def test_a_full_build_refreshes_everything_and_never_runs_the_sql_unit_tests():
    args = arguments({"warehouse": "w.duckdb"}, Plan(False, "first build"), [], Options())
    assert args[:3] == ["build", "--indirect-selection", "cautious"]
    assert "--full-refresh" in args and "--exclude" not in args
    assert args[args.index("--exclude-resource-type") + 1:] == ["unit_test"]
    assert json.loads(args[args.index("--vars") + 1]) == {"warehouse": "w.duckdb"}


def test_an_incremental_build_leaves_the_unchanged_nodes_alone():
    args = arguments({}, Plan(True, "1 new activity file"), ["seed.a", "model.b"], Options())
    assert "--full-refresh" not in args
    assert args[args.index("--exclude") + 1] == "seed.a model.b"


def test_a_build_without_data_tests_and_on_spark():
    args = arguments({}, Plan(False, "x"), [], Options(data_tests=False), spark=True)
    assert args[args.index("--exclude-resource-type") + 1:args.index("--target")] == ["test", "unit_test"]
    assert args[-2:] == ["--target", "spark"]


def test_the_years_become_a_sorted_var_of_distinct_years():
    assert var_values(Options(years=(2025, 2024, 2025)), "w.duckdb") == {"warehouse": "w.duckdb", "years": [2024, 2025]}
