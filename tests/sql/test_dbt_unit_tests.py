"""Every SQL rule's dbt unit test (`unit_tests:` in the models' YAML: given rows, expected rows worked out by hand),
run once by dbt against a built warehouse (the worked example's: dbt reads the input models' column types there).
A pipeline run does not run them: they test the project's SQL, not the user's data."""

from __future__ import annotations

import yaml

from pipelines import settings
from tests.conftest import run_dbt

MODELS = settings.DBT_PROJECT_DIR / "models"


def _declared() -> set[str]:
    names = set()
    for path in MODELS.rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", []):
            names.add(f"unit_test.serafin.{test['model']}.{test['name']}")
    return names


def test_every_dbt_unit_test_passes(worked_example, tmp_path):
    ok, status = run_dbt(worked_example.path, ["test", "--select", "test_type:unit"], tmp_path)
    failed = {name: result for name, result in status.items() if result != "pass"}
    assert ok and not failed, failed
    assert set(status) == _declared()


def test_each_family_of_rules_has_its_unit_tests():
    """Validation checks, cost-method steps, indicator definitions and funding rule kinds each have theirs."""
    tested = {name.split(".")[2] for name in _declared()}
    assert {"int_stays__checked", "int_activity__checked"} <= tested  # the validation check families
    assert {"int_personnel_totals", "int_staff_cost_by_section", "int_section_costs", "int_direct_full_cost",
            "int_person_logistics_units", "int_person_logistics_cost", "int_actions", "int_person_actions",
            "int_charges_classified"} <= tested  # cost-method steps 1 to 11
    assert {"coordination_rate", "pp_review_rate", "co_built_rate", "inclusion_share", "partner_share",
            "rupture_rate", "needs_coverage_rate", "occupancy_rate", "int_needs_coverage",
            "int_latest_assessment", "int_activity_gaps"} <= tested  # the indicators and the notions they share
    assert {"int_funding_person_units", "int_funding_tariffs", "funding_scenario_detail"} <= tested  # rule kinds
