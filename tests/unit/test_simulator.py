"""The simulator workbooks' inputs and the live workbooks' names, on a scenario definition written by hand (no
pipeline run: the workbooks recalculated against the marts are in tests/test_funding.py)."""

from __future__ import annotations

from reports import xlsx_formulas as xf
from reports.cpom_annex import _rule_text
from reports.simulator import inputs_of

DEFINITION = {"name": "essai", "sensitivity": 0.1, "rules": [
    {"no": 1, "kind": "base_share", "tariff": 0.4, "amounts": {}},
    {"no": 2, "kind": "per_place", "tariff": None, "amounts": {"IME": 1000.0}},
    {"no": 3, "kind": "per_hour", "prestation": "2.1", "settings": ["ecole", "cite"], "tariff": 62.5, "amounts": {}},
    {"no": 4, "kind": "per_hour", "prestation": "2.3.3.1", "tariff": None, "percentile": 50.0, "among": "all",
     "amounts": {}},
    {"no": 5, "kind": "per_need_level", "need": "1.2", "tariff": None, "amounts": {"1": 400.0, "3": 2500.0}},
    {"no": 6, "kind": "per_night", "tariff": 75.0, "amounts": {}},
]}


def test_one_input_per_share_tariff_category_and_level():
    inputs = inputs_of(DEFINITION, ["IME", "MAS"])
    assert [(i.name, i.key, i.value) for i in inputs] == [
        ("regle1_part", "", 0.4),
        ("regle2_place_IME", "IME", 1000.0),
        ("regle2_place_MAS", "MAS", 0.0),  # an ESMS category the file does not list: 0, editable
        ("regle3_tarif", "", 62.5),
        ("regle4_coef", "coefficient", 1.0),  # a derived tariff: its values per ESMS and year, times a coefficient
        ("regle5_niveau_1", "niveau 1", 400.0),
        ("regle5_niveau_2", "niveau 2", 0.0),  # a level the file does not pay
        ("regle5_niveau_3", "niveau 3", 2500.0),
        ("regle6_tarif", "", 75.0),
    ]
    by_name = {i.name: i for i in inputs}
    assert "absente du fichier" in by_name["regle2_place_MAS"].text
    assert "dans les lieux : ecole, cite" in by_name["regle3_tarif"].text
    assert "centile 50 du coût horaire de 2.3.3.1 parmi les ESMS de toutes catégories" in by_name["regle4_coef"].text
    assert by_name["regle1_part"].fmt == "share" and by_name["regle6_tarif"].unit == "€ par nuit"


def test_names_and_references_as_excel_writes_them():
    assert xf.defined_name("regle2", "place", "Foyer d'accueil médicalisé") == "regle2_place_Foyer_d_accueil_medicalise"
    assert xf.defined_name("2e") == "n_2e"  # a name never starts with a digit
    assert xf.sheet_ref("Paramètres", 4, 3) == "'Paramètres'!$D$5"
    assert xf.range_ref("Calcul", (1, 10), (9, 10)) == "'Calcul'!K2:K10"


def test_a_projected_measure_shows_its_first_and_last_rule():
    assert _rule_text(["a ^ 1", "a ^ 2", "a ^ 3"]) == "a ^ 1 ; … ; a ^ 3"
    assert _rule_text(["somme", "somme"]) == "somme"
    assert _rule_text([None]) == ""
