"""The reports of the demo run (issue 14): each page lays out the marts' figures (a figure shown equals the mart's),
the board pages hold no pseudonymised person id and never link to `restreint/`, each table's Excel file re-reads
with its headers and number formats. The pages in a real browser: tests/test_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports.common import euros, number, percent

BOARD_PAGES = ["index.html", "pilotage.html", "couts.html", "qualite.html", "territoire.html", "cpom.html", "donnees.html"]


@pytest.fixture(scope="module")
def reports(demo) -> Path:
    return demo.path.parent / "reports"


def _text(reports: Path, name: str) -> str:
    return (reports / name).read_text(encoding="utf-8")


def _cells(text: str) -> list[list[str]]:
    """The rows of every HTML table of a page, as the text of their cells."""
    import html

    return [[html.unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", text)]


def test_every_page_is_written_and_linked_from_the_index(reports):
    index = _text(reports, "index.html")
    for name in [*BOARD_PAGES[1:], "cpom_annexe.xlsx"]:
        assert (reports / name).exists(), name
        assert f'href="{name}"' in index, name


def test_the_steering_dashboard_shows_the_marts_figures(demo, reports):
    cells = _cells(_text(reports, "pilotage.html"))
    # a member's contribution in the last year: hours and persons as the mart holds them
    year, finess, name, hours, persons, share = demo.rows(
        "select year, contributor_id, contributor_name, direct_hours, persons, ordinary_share "
        "from marts.cooperation_contributions where contributor_kind = 'membre' and shown "
        "order by year desc, direct_hours desc limit 1")[0]
    assert [str(year), "Membre", finess, name, number(hours)] == next(
        r[:5] for r in cells if r[:3] == [str(year), "Membre", finess])
    row = next(r for r in cells if r[:3] == [str(year), "Membre", finess])
    assert row[6] == percent(share) and row[8] == number(persons)
    # each objective and year: target, actual and its status in French
    objective, year, target, actual, status = demo.rows(
        "select objective_id, year, target, actual, status from marts.objectives_board "
        "where shown and actual is not null order by objective_id, year limit 1")[0]
    row = next(r for r in cells if r[0] == objective and r[3] == str(year))
    assert row[4] == number(target, 2) and row[5] == number(actual, 2)
    assert row[7] == {"met": "Atteint", "on_track": "En bonne voie", "off_track": "Hors trajectoire"}[status]
    # file active and occupancy of each member ESMS: the board figures
    finess, year, value = demo.rows(
        "select scope, cast(year as varchar), value from marts.indicators_board where indicator_id = 'file_active' "
        "and scope = (select min(contributor_id) from marts.cooperation_contributions "
        "where contributor_kind = 'membre') order by year desc limit 1")[0]
    row = next(r for r in cells if r[0] == finess and r[2] == year and len(r) == 5)
    assert row[3] == number(float(value))


def test_the_finance_report_shows_the_marts_figures(demo, reports):
    text = _text(reports, "couts.html")
    cells = _cells(text)
    # cost per prestation: the latest year of an ESMS, its official label, full cost and cost per hour
    finess, year, code, label, full, per_hour = demo.rows(
        "select finess_et, year, prestation_code, prestation_label, full_cost, cost_per_hour "
        "from marts.cost_per_prestation where year = 2025 order by full_cost desc limit 1")[0]
    row = next(r for r in cells if r[:3] == [finess, str(year), code])
    assert row[3] == label and row[8] == euros(full) and row[9] == number(per_hour, 2) + "\u202f€"
    # the path from the accounts to the persons: every flow of the ESMS-year, to the cent
    for flow_no, source, target, amount in demo.rows(
            "select flow_no, source, target, amount from marts.cost_flow where finess_et = ? and year = 2025",
            [finess]):
        assert [finess, "2025", number(flow_no), source, target, number(amount, 2) + "\u202f€"] in cells
    # the quartile of each ESMS among the others
    quartile = demo.scalar("select quartile from marts.cost_benchmark where finess_et = ? and year = 2025 "
                           "and measure = 'cost_per_place'", [finess])
    row = next(r for r in cells if r[:4] == [finess, "2025", r[2], "Coût par place"])
    assert row[-1] == str(quartile)
    # the scenarios: each ESMS's delta, and the rules as written
    scenario, delta = demo.rows("select scenario, delta from marts.funding_scenario where finess_et = ? "
                                "and year = 2025 order by scenario limit 1", [finess])[0]
    row = next(r for r in cells if r[:3] == [scenario, finess, "2025"])
    assert row[7] == euros(delta)
    assert "Règles du scénario « Tarif horaire médian »" in text and "per_presence_day" in text
    assert "diagramme en tornade" in text and '"type":"sankey"' in text and '"type":"box"' in text


def test_the_quality_report_shows_every_indicator_with_its_numerator_and_denominator(demo, reports):
    text = _text(reports, "qualite.html")
    cells = _cells(text)
    themes = {r[0] for r in demo.rows("select label from ref.enumerations where enumeration = 'has_theme'")}
    assert all(f"<h3>{t.replace(chr(39), '&#x27;')}</h3>" in text for t in themes)
    shown = 0
    for indicator, year, value, numerator, denominator in demo.rows(
            "select indicator_id, cast(year as varchar), value, numerator, denominator from marts.indicators_board "
            "where scope = 'platform' and shown"):
        row = next(r for r in cells if r[0] == indicator and r[2] == "Ensemble des ESMS" and r[3] == year)
        unit_value = float(value)
        assert row[4] in (number(unit_value, 2), number(round(unit_value)), percent(unit_value)), (indicator, row)
        assert row[5].replace("\u202f", "") in (number(float(numerator), 2).replace("\u202f", ""),
                                                 number(round(float(numerator))).replace("\u202f", ""))
        assert row[6].replace("\u202f", "") in (number(float(denominator), 2).replace("\u202f", ""),
                                                 number(round(float(denominator))).replace("\u202f", ""))
        shown += 1
    assert shown == 13 * 2  # the catalogue's 13 indicators, 2 years
    # needs coverage by domain: the rate of a domain
    year, domain, rate = demo.rows("select cast(year as varchar), domain_code, coverage_rate "
                                   "from marts.needs_coverage_by_domain where scope = 'platform' and shown "
                                   "order by needs desc limit 1")[0]
    row = next(r for r in cells if r[0] == year and r[3] == domain)
    assert row[7] == percent(rate)


def test_the_workbooks_of_the_tables(demo, reports):
    import openpyxl

    workbook = openpyxl.load_workbook(reports / "donnees" / "couts-prestations.xlsx")
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("FINESS", "Exercice", "Prestation", "Libellé officiel")
    assert len(rows) - 1 == demo.scalar("select count(*) from marts.cost_per_prestation")
    assert sheet.freeze_panes == "A2" and sheet.cell(2, 9).number_format == '#,##0 "€"'
    finess, year, code = rows[1][:3]
    full = demo.scalar("select full_cost from marts.cost_per_prestation where finess_et = ? and year = ? "
                       "and prestation_code = ?", [finess, year, code])
    assert round(rows[1][8], 2) == round(full, 2)
    contributions = list(openpyxl.load_workbook(reports / "donnees" / "pilotage-contributions.xlsx")
                         .active.iter_rows(values_only=True))
    assert len(contributions) - 1 == demo.scalar("select count(*) from marts.cooperation_contributions")
    actions = openpyxl.load_workbook(reports / "donnees" / "couts-actions.xlsx").active
    assert actions.max_row - 1 == demo.scalar(
        "select count(*) from marts.action_cost_summary a where year = (select max(year) from "
        "marts.action_cost_summary s where s.finess_et = a.finess_et)")


def _board_files(reports: Path) -> list[Path]:
    return [p for p in reports.rglob("*") if p.is_file() and "restreint" not in p.parts
            and p.suffix in (".html", ".xlsx")]


def _content(path: Path) -> str:
    if path.suffix == ".xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                         for v in row if v is not None)
    return path.read_text(encoding="utf-8")


def test_no_person_id_in_a_board_file_and_no_link_to_the_restricted_lists(demo, reports):
    persons = [r[0] for r in demo.rows("select person_id from core.persons")]
    files = _board_files(reports)
    assert len(files) > 20
    for path in files:
        content = _content(path)
        assert not any(p in content for p in persons), path
        assert not re.search(r'href="[^"]*restreint', content), path
    # the restricted lists do hold the (pseudonymised) ids: the scan above can fail
    restricted = reports / "restreint"
    assert sorted(p.name for p in restricted.iterdir()) == [
        "besoins-non-couverts.xlsx", "index.html", "parcours.xlsx", "projets-non-actualises.xlsx", "ruptures.xlsx"]
    listed = _content(restricted / "parcours.xlsx")
    assert sum(p in listed for p in persons) == demo.scalar("select count(distinct person_id) from marts.parcours")


def test_pages_open_offline(reports):
    for name in BOARD_PAGES:
        text = _text(reports, name)
        assert not re.search(r"""(src|href)=["']https?://""", text), name
        assert "cdn.plot.ly" not in text and "fonts.googleapis" not in text, name
        assert len(text) < 2_000_000, name
        if "plotly-graph-div" in text:
            assert '<script src="assets/plotly.min.js"></script>' in text, name


def test_a_page_that_fails_names_itself_and_the_others_are_written(demo, tmp_path):
    """The pages are built in parallel child processes (pipelines/defs/reports.py): one that fails (a mart that
    raises an error when read) fails the step with its name and its error, after every other page was written; the
    index is not."""
    import shutil

    import dagster as dg
    import duckdb

    from pipelines.defs.reports import PAGES, report_pages
    from pipelines.defs.resources import SerafinPaths

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo.path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.coverage_kept as select * from marts.territory_coverage")
        assert con.execute("select count(*) from marts.coverage_kept").fetchone()[0] > 0
        kind = con.execute("select table_type from information_schema.tables where table_schema = 'marts' "
                           "and table_name = 'territory_coverage'").fetchone()[0]
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} marts.territory_coverage")
        con.execute("create view marts.territory_coverage as select * replace "
                    "(cast(error('planted failure') as integer) as year) from marts.coverage_kept")
    out = tmp_path / "reports"
    paths = SerafinPaths(landing=str(tmp_path), warehouse=str(warehouse), raw=str(tmp_path / "raw"),
                         work=str(tmp_path / "work"), reports=str(out))
    result = dg.materialize([report_pages], resources={"paths": paths}, raise_on_error=False)
    assert not result.success
    written = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    # territory_coverage feeds the territory page and the steering dashboard
    assert written == {p.name for p in PAGES} - {"territory_page", "pilotage_page"}
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "territory_page (" in failure and "pilotage_page (" in failure and "planted failure" in failure
    assert (out / "couts.html").exists() and (out / "restreint" / "parcours.xlsx").exists()
    assert not (out / "territoire.html").exists() and not (out / "index.html").exists()
