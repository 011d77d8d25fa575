"""comptabilite.yaml (finance-sources.md, issue 37): the four split kinds and the hand-placed SIRETs load; every
bad file stops the run before anything is built, with the file, the key path and what is wrong."""

from __future__ import annotations

import shutil

import pytest

from pipelines.comptabilite import ComptabiliteProblem, load_comptabilite
from tests.conftest import WORKED_EXAMPLE

GOOD = """entities:
  - siren: "775672272"
    split: journal
    journals: {ASES: "380000018", AMAS: 380000026}
  - siren: "301234567"
    split: analytic
    column: CodeAnalytique
    codes: {"A01": "690000013"}
  - siren: "401234567"
    split: account_suffix
    digits: 2
    suffixes: {"01": "690000039"}
  - file: "501234567FEC20251231.txt"
    split: file
    finess: "690000047"
sirets:
  "77567227200026": "380000018"
"""

BAD = [
    # (replace this, with that, the message expected after "<file>: ")
    ('{ASES: "380000018"', '{ASES: "38000018"',
     "entities[0].journals.ASES: '38000018' is not a FINESS number (9 characters)"),
    ("split: analytic", "split: analytique",
     "entities[1]: split must be one of account_suffix, analytic, file, journal (given: 'analytique')"),
    ("    split: analytic\n", "", "entities[1]: split is missing"),
    ('  - file: "501234567FEC20251231.txt"', '  - siren: "501234567"\n    file: "501234567FEC20251231.txt"',
     "entities[3]: give either siren (the legal entity) or file (one file of comptabilite/), not both"),
    ('{"01": "690000039"}', '{"1": "690000039"}', "entities[2]: the suffix '1' is not 2 digit(s)"),
    ('"77567227200026"', '"7756722720002"', "sirets.7756722720002: '7756722720002' is not a SIRET (14 digits)"),
    ('siren: "301234567"', 'siren: "30123456"', "entities[1].siren: '30123456' is not a SIREN (9 digits)"),
    ("column: CodeAnalytique", "colonne: CodeAnalytique", "entities[1].colonne: unknown key"),
    ('siren: "401234567"', 'siren: "775672272"', "entities[2].siren: '775672272' is already given at entities[0]"),
    ("entities:", "entites:", "entites: unknown key"),
]


def test_a_good_file_loads(tmp_path):
    path = tmp_path / "comptabilite.yaml"
    path.write_text(GOOD, encoding="utf-8")
    frame = load_comptabilite(path)
    assert frame.sirets == {"77567227200026": "380000018"}
    assert [e.split for e in frame.entities] == ["journal", "analytic", "account_suffix", "file"]
    assert frame.entity_for("775672272FEC20251231.txt").assignments() == {"ASES": "380000018", "AMAS": "380000026"}
    assert frame.entity_for("501234567FEC20251231.txt").finess == "690000047"
    assert frame.entity_for("999999999FEC20251231.txt") is None


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_each_bad_file_names_the_key_and_the_problem(tmp_path, old, new, message):
    assert old in GOOD
    path = tmp_path / "comptabilite.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(ComptabiliteProblem) as caught:
        load_comptabilite(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_a_bad_file_stops_the_run_before_anything_is_built(tmp_path):
    from pipelines.cli import execute

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "comptabilite.yaml").write_text(GOOD.replace("digits: 2", "digits: deux"), encoding="utf-8")
    ok, reason = execute(landing, tmp_path / "w.duckdb", tmp_path / "reports")
    assert not ok and reason.startswith(f"{landing / 'comptabilite.yaml'}: entities[2].digits:")
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "w.raw").exists()
