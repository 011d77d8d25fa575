"""What `serafin scenario` writes without dbt (pipelines/scenario_sql.py): the scenario inputs' rows of a file, and
the limit on shifts that lets the scenario models' SQL stay the same whatever the files."""

from __future__ import annotations

import pytest
import yaml

from pipelines import scenario_sql, scenarios, settings


def test_the_shift_limit_is_the_one_the_sql_unrolls():
    project = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["scenario_max_shifts"] == scenarios.MAX_SHIFTS == 12


def test_a_file_with_too_many_shifts_is_refused_with_its_key(tmp_path):
    shift = "  - {prestation: '2.3', from_setting: structure, to_setting: cite, share: 0.1}\n"
    path = tmp_path / "many.yaml"
    path.write_text("name: m\nrules:\n  - kind: per_night\n    tariff: 10\nshifts:\n" + shift * 13, encoding="utf-8")
    with pytest.raises(scenarios.ScenarioProblem) as problem:
        scenarios.load_file(path)
    assert str(problem.value).startswith(f"{path}: shifts") and "12" in str(problem.value)


def test_input_rows_of_a_file(tmp_path):
    """Two rules, a shift, no years: one row per rule, the category amounts and settings as values, one row with
    no year (every year with a ledger), the shift numbered from 1."""
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nrules:\n  - kind: per_place\n    amounts: {IME: 1000}\n  - kind: per_hour\n"
                    "    prestation: '2.3'\n    settings: [ecole]\n    tariff: {percentile: 50, among: all}\n"
                    "shifts:\n  - {prestation: '2.3', from_setting: structure, to_setting: ecole, share: 0.25}\n",
                    encoding="utf-8")
    rows = scenario_sql.input_rows(scenarios.as_dbt_var([(path, scenarios.load_file(path))])[0])
    assert [(r["rule_no"], r["kind"], r["tariff"], r["percentile"], r["among"], r["has_settings"])
            for r in rows["int_funding_rules"]] == [(1, "per_place", None, None, None, False),
                                                    (2, "per_hour", None, 50, "all", True)]
    assert [(r["rule_no"], r["list"], r["key_"], r["value_"]) for r in rows["int_funding_rule_values"]] == [
        (1, "amount", "IME", 1000), (2, "setting", "ecole", None)]
    assert rows["int_funding_scenario_years"] == [{"scenario": "s", "year": None}]
    assert [(r["shift_no"], r["from_setting"], r["to_setting"], r["share"]) for r in rows["int_funding_shifts"]] == [
        (1, "structure", "ecole", 0.25)]
    assert rows["funding_scenarios"][0]["file"] == "s.yaml" and rows["funding_scenarios"][0]["years"] == ""


def _node(name: str, tags: list[str], parents: list[str], sql: str | None) -> tuple[str, dict]:
    return f"model.serafin.{name}", {
        "resource_type": "model", "name": name, "tags": tags, "compiled_code": sql,
        "relation_name": f'"warehouse"."marts"."{name}"',
        "depends_on": {"nodes": [f"model.serafin.{p}" for p in parents]}}


def test_the_steps_kept_follow_the_lineage_and_need_the_models_sql():
    """An input's SQL is not needed (its rows are written in Python, and a month added leaves it alone); a scenario
    model's is: without it nothing is kept. Other models are left out, the catalog dropped from the relation."""
    nodes = dict([_node("cpom_trajectory", [], ["funding_scenario", "costs"], "select 3"),
                  _node("funding_scenario", ["scenario"], ["int_funding_rules"], "select 2"),
                  _node("int_funding_rules", ["scenario", "scenario_input"], [], None),
                  _node("costs", [], [], "select 0")])
    steps = scenario_sql._steps({"nodes": nodes})
    assert [(s.model, s.role, s.relation) for s in steps] == [
        ("int_funding_rules", "input", '"marts"."int_funding_rules"'),
        ("funding_scenario", "scenario", '"marts"."funding_scenario"'),
        ("cpom_trajectory", "cpom", '"marts"."cpom_trajectory"')]
    nodes["model.serafin.funding_scenario"]["compiled_code"] = None
    assert scenario_sql._steps({"nodes": nodes}) is None


def test_the_steps_kept_are_in_one_order_whatever_the_manifests():
    """Two inputs and two scenario models on one rank each: the same steps from a manifest listing its nodes in any
    order (dbt's order varies from one parse to the next, and so did audit.scenario_models' steps), each rank of the
    lineage sorted by name, every model after its parents."""
    import itertools

    listed = [_node("int_funding_shifts", ["scenario", "scenario_input"], [], None),
              _node("funding_scenarios", ["scenario", "scenario_input"], [], None),
              _node("int_funding_grid", ["scenario"], ["funding_scenarios"], "select 1"),
              _node("funding_scenario", ["scenario"], ["int_funding_grid", "int_funding_shifts"], "select 2"),
              _node("int_funding_hours", ["scenario"], ["int_funding_shifts"], "select 3")]
    expected = ["funding_scenarios", "int_funding_shifts", "int_funding_grid", "int_funding_hours", "funding_scenario"]
    for order in itertools.permutations(listed):
        assert [s.model for s in scenario_sql._steps({"nodes": dict(order)})] == expected
