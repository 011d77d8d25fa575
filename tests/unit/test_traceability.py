"""Cost-method step 12 outside the warehouse build: the two parameters of nomenclatures/cost_method_parameters.csv are
checked before a run, and couts.html's traceability section lays out marts.traceability (a small DuckDB file holding
the mart's rows, written by hand). The figures of the step are tested on the worked example
(tests/test_worked_example.py), the edge cases (tests/test_cost_edge_cases.py) and by the dbt unit tests."""

import re
import shutil

import duckdb
import pytest

from pipelines import settings
from pipelines.parameters import check_parameters


@pytest.fixture()
def nomenclatures(tmp_path, monkeypatch):
    folder = tmp_path / "nomenclatures"
    shutil.copytree(settings.NOMENCLATURES_DIR, folder)
    monkeypatch.setattr(settings, "NOMENCLATURES_DIR", folder)
    return folder


def test_the_shipped_parameters_are_the_method_defaults():
    import csv

    with (settings.NOMENCLATURES_DIR / "cost_method_parameters.csv").open(encoding="utf-8") as handle:
        values = {row["parameter"]: float(row["value"]) for row in csv.DictReader(handle)}
    assert values == {"annual_hours_per_fte": 1607.0, "traceability_warning": 0.5}


def test_a_bad_edit_of_the_step_12_parameters_is_named(nomenclatures):
    (nomenclatures / "cost_method_parameters.csv").write_text(
        "parameter,value,note\ntraceability_warning,1.5,\nannual_hours,1607,\n", encoding="utf-8")
    problems = {(p.file, p.line, p.column, p.value): str(p) for p in check_parameters()}
    assert set(problems) == {("cost_method_parameters.csv", 2, "value", "1.5"),
                             ("cost_method_parameters.csv", 3, "parameter", "annual_hours"),
                             ("cost_method_parameters.csv", 0, "parameter", "")}
    assert problems[("cost_method_parameters.csv", 2, "value", "1.5")] == (
        "nomenclatures/cost_method_parameters.csv, line 2, column value: traceability_warning must be a share between "
        "0 and 1 (write 0.5 for 50 %)")
    assert "parameter annual_hours_per_fte is missing" in problems[("cost_method_parameters.csv", 0, "parameter", "")]


def test_hours_per_fte_must_be_a_number(nomenclatures):
    (nomenclatures / "cost_method_parameters.csv").write_text(
        "parameter,value,note\nannual_hours_per_fte,1 607 h,\ntraceability_warning,0.5,\n", encoding="utf-8")
    assert [(p.line, p.column, p.value) for p in check_parameters()] == [(2, "value", "1 607 h")]


# marts.traceability as the build writes it: the IME of the worked example (τ = 7 / 2 410.5, flagged) and a SESSAD
# above the threshold; 2024 rows too, shown in the Excel file only
ROWS = [
    ("690000013", 2025, None, "Ensemble de l'ESMS", 2, 2, 2410.5, 7.0, 7 / 2410.5, 198000.0, 120000.0, 120 / 198, 0.0,
     0.5, True),
    ("690000013", 2025, "educateur_specialise", "Éducateur spécialisé", 1, 0, 1607.0, 5.0, 5 / 1607, 48000.0, 0.0, 0.0,
     None, 0.5, True),
    ("690000013", 2025, "directeur", "Directeur / directrice", 0, 1, 0.0, 0.0, None, 90000.0, 90000.0, 1.0, None, 0.5,
     False),
    ("690000047", 2025, None, "Ensemble de l'ESMS", 1, 0, 803.5, 482.1, 0.6, 30000.0, 0.0, 0.0, 0.0, 0.5, False),
    ("690000047", 2025, "orthophoniste", "Orthophoniste", 1, 0, 803.5, 482.1, 0.6, 30000.0, 0.0, 0.0, None, 0.5, False),
    ("690000047", 2024, None, "Ensemble de l'ESMS", 1, 0, 803.5, 321.4, 0.4, 30000.0, 0.0, 0.0, 0.0, 0.5, True),
]


@pytest.fixture()
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema core")
        con.execute("create table core.establishments(finess_et varchar, name varchar)")
        con.execute("insert into core.establishments values ('690000013', 'IME Les Tilleuls'), "
                    "('690000047', 'SESSAD Le Rhône')")
        con.execute("""create table marts.traceability(finess_et varchar, year integer, profession varchar,
            profession_label varchar, professionals bigint, untraced_professionals bigint, paid_hours double,
            recorded_hours double, traceability double, staff_cost double, untraced_staff_cost double,
            untraced_share double, hours_without_staff double, traceability_warning double, flagged boolean)""")
        con.executemany("insert into marts.traceability values (" + ", ".join("?" * 15) + ")", ROWS)
    return path


def _cells(text: str) -> list[list[str]]:
    import html

    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", text)]


def test_the_section_shows_each_esms_and_profession_and_flags_under_the_threshold(warehouse, tmp_path):
    from reports.traceability import traceability_section

    with duckdb.connect(str(warehouse), read_only=True) as con:
        text = traceability_section(tmp_path, con)
    cells = [c for c in _cells(text) if c]
    # the latest year on the page (2024 in the Excel file only), the ESMS first then its professions
    assert [c[:4] for c in cells] == [
        ["690000013", "IME Les Tilleuls", "2025", "Ensemble de l'ESMS"],
        ["690000013", "IME Les Tilleuls", "2025", "Éducateur spécialisé"],
        ["690000013", "IME Les Tilleuls", "2025", "Directeur / directrice"],
        ["690000047", "SESSAD Le Rhône", "2025", "Ensemble de l'ESMS"],
        ["690000047", "SESSAD Le Rhône", "2025", "Orthophoniste"]]
    ime = cells[0]
    assert ime[5:9] == ["2\u202f410", "7", "0,3\u202f%", "oui"]          # 7 / 2 410.5 = 0.29 %, under 50 %
    assert ime[10] == "120\u202f000\u202f€"                               # D1 and C1 record no time
    assert cells[3][7:9] == ["60,0\u202f%", ""]                           # the SESSAD is above the threshold
    assert cells[2][7] == ""                                              # no recorded time: no τ, no flag
    # the flagged ESMS named above the chart, and the two hourly costs each with its name
    assert "Sous le seuil d'alerte de 50\u202f%</strong> au dernier exercice : IME Les Tilleuls (0,3\u202f%)" in text
    assert "SESSAD Le Rhône (60" not in text
    assert "coût par heure enregistrée" in text and "coût par heure estimée (heures rémunérées)" in text
    assert '"type":"bar"' in text and "seuil d'alerte 50" in text
    workbook = tmp_path / "donnees" / "couts-tracabilite.xlsx"
    assert workbook.exists()
    from openpyxl import load_workbook

    sheet = load_workbook(workbook).active
    assert sheet.max_row == 1 + len(ROWS)  # every year in the Excel file


def test_no_section_without_the_mart(tmp_path):
    from reports.traceability import traceability_section

    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        assert traceability_section(tmp_path, con) == ""
