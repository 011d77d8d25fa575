"""dbt's command line for a run (pipelines/dbt_build.arguments), a pure function of the run's plan and options."""

from __future__ import annotations

import json

from pipelines.dbt_build import Options, arguments, environment, var_values
from pipelines.incremental import Plan


def test_a_full_build_refreshes_everything_and_never_runs_the_sql_unit_tests():
    args = arguments(Plan(False, "first build"), [], Options())
    assert args[:3] == ["build", "--indirect-selection", "cautious"]
    assert "--full-refresh" in args and "--exclude" not in args
    assert args[args.index("--exclude-resource-type") + 1:] == ["unit_test"]
    assert "--vars" not in args  # the run's values go by the environment, which leaves dbt's parse valid


def test_the_run_values_go_to_dbt_by_its_environment():
    """The warehouse by its name (dbt starts in its folder), each given value as JSON, each other one unset."""
    values = var_values(Options(years=(2025,)), "/data/gestionnaire/warehouse.duckdb",
                        {"cooperation": {"name": "Plateforme d'appui", "members": ["690000013"]}})
    env = environment(values)
    assert env["SERAFIN_DBT_WAREHOUSE"] == "warehouse.duckdb"
    assert env["SERAFIN_DBT_CWD"] == "/data/gestionnaire"
    assert json.loads(env["SERAFIN_VAR_YEARS"]) == [2025]
    assert json.loads(env["SERAFIN_VAR_COOPERATION"]) == {"name": "Plateforme d'appui", "members": ["690000013"]}
    assert env["SERAFIN_VAR_SCENARIOS"] is None and env["SERAFIN_VAR_CPOM"] is None
    assert env["SERAFIN_VAR_DSN_SIRETS"] is None


def test_an_incremental_build_leaves_the_unchanged_nodes_alone():
    args = arguments(Plan(True, "1 new activity file"), ["seed.a", "model.b"], Options())
    assert "--full-refresh" not in args
    assert args[args.index("--exclude") + 1] == "seed.a model.b"


def test_a_build_without_data_tests_and_on_spark():
    args = arguments(Plan(False, "x"), [], Options(data_tests=False), spark=True)
    assert args[args.index("--exclude-resource-type") + 1:args.index("--target")] == ["test", "unit_test"]
    assert args[-2:] == ["--target", "spark"]


def test_the_years_become_a_sorted_var_of_distinct_years():
    assert var_values(Options(years=(2025, 2024, 2025)), "w.duckdb") == {"warehouse": "w.duckdb", "years": [2024, 2025]}
