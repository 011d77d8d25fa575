"""cooperation.yaml (cooperation.md, issue 11): every bad file stops the run before anything is built, with the
file, the key path and what is wrong."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import WORKED_EXAMPLE

GOOD = """name: Plateforme Rhône-Sud
finality: Vivre en milieu ordinaire.
members:
  - finess_et: "690000013"
    role: porteur
partners: []
strategic_objectives:
  - id: S1
    label: Droit commun
    objectives: [O1]
objectives:
  - id: O1
    label: Milieu ordinaire
    indicator: inclusion_share
    scope: platform
    direction: increase
    targets: {2025: 0.40}
"""

BAD = [
    # (replace this, with that, the message expected after "<file>: ")
    ("name: Plateforme", "nom: Plateforme", "name: Field required"),
    ("finality:", "finalite:", "finalite: unknown key"),
    ("indicator: inclusion_share", "indicator: inclusion_rate",
     "objectives[0].indicator: 'inclusion_rate' is not an indicator of the catalogue (file_active, occupancy_rate"),
    ("scope: platform", 'scope: "690000021"', "objectives[0].scope: '690000021' is neither platform nor the FINESS of a member"),
    ("direction: increase", "direction: up", "objectives[0].direction: Input should be 'increase' or 'decrease'"),
    ("{2025: 0.40}", "{2025: quarante}", "objectives[0].targets[2025]: Input should be a valid number"),
    ("targets: {2025: 0.40}", "targets: {2025: 0.40}\n    tolerance: 1.5",
     "objectives[0].tolerance: Input should be less than or equal to 1"),
    ("objectives: [O1]", "objectives: [O1, O9]", "strategic_objectives[0].objectives[1]: 'O9' is not the id of an objective"),
    ("objectives: [O1]\n", "objectives: [O1]\n  - id: S2\n    label: Bis\n    objectives: [O1]\n",
     "strategic_objectives[1].objectives[0]: 'O1' is already under 'S1'"),
    ('finess_et: "690000013"', 'finess_et: "69000"', "members[0].finess_et: String should match pattern"),
    ("name: Plateforme Rhône-Sud\n", "name: [unclosed\n", "not a readable YAML file (line 2, column 9)"),
]


def test_a_good_file_loads(tmp_path):
    from pipelines import cooperation

    (tmp_path / "cooperation.yaml").write_text(GOOD, encoding="utf-8")
    frame = cooperation.load(tmp_path)
    assert frame.objectives[0].tolerance == 0.10 and frame.objectives[0].targets == {2025: 0.40}
    assert cooperation.as_dbt_var(frame)["objectives"][0]["strategic"] == "S1"
    assert cooperation.load(tmp_path / "nowhere") is None


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_each_bad_file_names_the_key_and_the_problem(tmp_path, old, new, message):
    from pipelines import cooperation

    assert old in GOOD
    path = tmp_path / "cooperation.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(cooperation.CooperationProblem) as caught:
        cooperation.load(tmp_path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)


def test_a_bad_file_stops_the_run_before_anything_is_built(tmp_path):
    from pipelines.cli import execute

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "cooperation.yaml").write_text(GOOD.replace("direction: increase", "direction: up"), encoding="utf-8")
    ok, reason = execute(landing, tmp_path / "w.duckdb", tmp_path / "reports")
    assert not ok and reason.startswith(f"{landing / 'cooperation.yaml'}: objectives[0].direction:")
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "w.raw").exists()


def test_a_member_or_partner_missing_from_the_data_stops_the_run(tmp_path):
    """Members and partners are checked against the landing data once read, before dbt builds anything."""
    from pipelines.cli import execute

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "cooperation.yaml").write_text(GOOD.replace("partners: []", "partners: [PART9]"), encoding="utf-8")
    ok, reason = execute(landing, tmp_path / "w.duckdb", tmp_path / "reports")
    assert not ok
    assert reason.endswith(f"{landing / 'cooperation.yaml'}: partners[0]: 'PART9' is not in partners"), reason
    assert not (tmp_path / "w.duckdb").exists()


def test_a_member_missing_from_establishments(tmp_path):
    from pipelines import cooperation

    (tmp_path / "cooperation.yaml").write_text(GOOD, encoding="utf-8")
    var = cooperation.as_dbt_var(cooperation.load(tmp_path))
    cooperation.check_against_data(var, {"690000013"}, set(), tmp_path)  # all there: no problem
    with pytest.raises(cooperation.CooperationProblem) as caught:
        cooperation.check_against_data(var, {"690000021"}, set(), tmp_path)
    assert str(caught.value) == (f"{tmp_path / 'cooperation.yaml'}: members[0].finess_et: '690000013' is not in "
                                 "establishments")
