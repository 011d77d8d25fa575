"""The reports of the demo run (issue 14): each page lays out the marts' figures (a figure shown equals the mart's),
the board pages hold no pseudonymised person id and never link to `restreint/`, each table's Excel file re-reads
with its headers and number formats. The pages in a real browser: tests/browser/test_browser.py.

Longer than the house's ~400 lines on purpose: every test reads the one demo run (the `demo` session landing), page by
page; the file is the checklist of the reports."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reports.common import euros, number, percent
from tests.conftest import ROOT

BOARD_PAGES = ["index.html", "pilotage.html", "couts.html", "qualite.html", "territoire.html", "cpom.html", "donnees.html"]


@pytest.fixture(scope="module")
def reports(demo) -> Path:
    return demo.path.parent / "reports"


def _text(reports: Path, name: str) -> str:
    return (reports / name).read_text(encoding="utf-8")


def _cells(text: str) -> list[list[str]]:
    """The rows of every HTML table of a page, as the text of their cells (a status badge's word)."""
    import html

    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
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
    # rates as percentages (a rate's gap in points), a status as a word beside its colour
    for objective, year, target, actual, gap, status in demo.rows(
            "select o.objective_id, o.year, o.target, o.actual, o.gap, o.status from marts.objectives_board as o "
            "where o.shown and o.actual is not null and o.indicator_id in "
            "(select indicator_id from marts.indicators where unit = 'ratio') order by 1, 2"):
        row = next(r for r in cells if r[0] == objective and r[3] == str(year))
        assert row[4] == percent(target) and row[5] == percent(actual), row
        assert row[6] == ("+" if gap > 0 else "") + number(gap * 100, 1) + "\u202fpt"
        assert row[7] == {"met": "Atteint", "on_track": "En bonne voie", "off_track": "Hors trajectoire"}[status]
    text = _text(reports, "pilotage.html")
    assert "en fraction" not in text and '<span class="st st-met">Atteint</span>' in text
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
    name = demo.scalar("select name from core.establishments where finess_et = ?", [finess])
    row = next(r for r in cells if r[:4] == [finess, name, str(year), code])
    assert row[4] == label and row[9] == euros(full) and row[10] == number(per_hour, 2) + "\u202f€"
    # the path from the accounts to the persons: every flow of the ESMS-year, to the cent
    for flow_no, source, target, amount in demo.rows(
            "select flow_no, source, target, amount from marts.cost_flow where finess_et = ? and year = 2025",
            [finess]):
        assert [finess, name, "2025", number(flow_no), source, target, number(amount, 2) + "\u202f€"] in cells
    # the quartile of each ESMS among the others
    quartile = demo.scalar("select quartile from marts.cost_benchmark where finess_et = ? and year = 2025 "
                           "and measure = 'cost_per_place'", [finess])
    row = next(r for r in cells if r[:5] == [finess, name, "2025", r[3], "Coût par place"])
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
        assert row[4] in (number(unit_value, 2), number(round(unit_value)), percent(unit_value),
                          euros(unit_value)), (indicator, row)
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
    assert rows[0][:5] == ("FINESS", "ESMS", "Exercice", "Prestation", "Libellé officiel")
    assert len(rows) - 1 == demo.scalar("select count(*) from marts.cost_per_prestation")
    assert sheet.freeze_panes == "A2" and sheet.cell(2, 10).number_format == '#,##0 "€"'
    finess, name, year, code = rows[1][:4]
    full = demo.scalar("select full_cost from marts.cost_per_prestation where finess_et = ? and year = ? "
                       "and prestation_code = ?", [finess, year, code])
    assert round(rows[1][9], 2) == round(full, 2)
    assert name == demo.scalar("select name from core.establishments where finess_et = ?", [finess])
    # a column of mixed units keeps each figure's own format: a rate's target as a percentage in Excel too
    objectives = openpyxl.load_workbook(reports / "donnees" / "pilotage-objectifs.xlsx").active
    ratio = next(r for r in objectives.iter_rows(min_row=2) if isinstance(r[4].value, float) and r[4].value < 1)
    assert ratio[4].number_format == "0.0%" and ratio[7].value in {"Atteint", "En bonne voie", "Hors trajectoire",
                                                                   "Pas de donnée"}
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
    # territory_coverage feeds the territory page, the steering dashboard and the board pack
    assert written == {p.name for p in PAGES} - {"territory_page", "pilotage_page", "board_pack"}
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "territory_page (" in failure and "pilotage_page (" in failure and "planted failure" in failure
    assert "board_pack (" in failure
    assert (out / "couts.html").exists() and (out / "restreint" / "parcours.xlsx").exists()
    assert not (out / "territoire.html").exists() and not (out / "index.html").exists()


# --- issue 39: key figures first, no empty table, transcripts, names, French labels, the printed board pack ---

def _key_figures(text: str) -> dict[str, str]:
    """The key figures a page opens with: data-key -> the value shown."""
    import html

    return {k: html.unescape(v) for k, v in re.findall(
        r'<li class="[^"]*" data-key="([^"]+)"><span class="l">[^<]*</span><span class="v">([^<]*)</span>', text)}


def test_the_key_figures_of_each_page_are_the_marts(demo, reports):
    """Each page's key figures, derived here by SQL of their own on the marts (not read back from the page)."""
    last = demo.scalar("select max(year) from marts.objectives_board")
    pilotage = _key_figures(_text(reports, "pilotage.html"))
    for status in ("met", "on_track", "off_track"):
        assert pilotage[f"objectives_{status}"] == number(demo.scalar(
            "select count(*) from marts.objectives_board where year = ? and status = ?", [last, status]))
    file_active, occupancy = demo.rows(
        "select max(value) filter (where indicator_id = 'file_active'), "
        "max(value) filter (where indicator_id = 'occupancy_rate') from marts.indicators_board "
        "where scope = 'cooperation' and year = (select max(year) from marts.indicators_board)")[0]
    assert pilotage["file_active"] == number(float(file_active))
    assert pilotage["occupancy_rate"] == percent(float(occupancy))
    places, coop = demo.rows("select sum(authorized_places), sum(cooperation_places) from marts.territory_offer "
                             "where department in (select department from marts.territory_establishments "
                             "where in_cooperation)")[0]
    assert pilotage["cooperation_share"] == percent(coop / places)

    costs = _key_figures(_text(reports, "couts.html"))
    year = demo.scalar("select max(year) from marts.cost_reconciliation")
    assert costs["charges"] == euros(demo.scalar(
        "select sum(charges_total) from marts.cost_reconciliation where year = ?", [year]))
    for scenario, delta in demo.rows("select scenario, sum(delta) from marts.funding_scenario where year = ? "
                                     "group by all", [year]):
        assert costs[f"scenario_delta|{scenario}"] == ("+" if delta > 0 else "") + euros(delta)
    # the cost per place of a category: its ESMS's retained charges over their places, this year
    category, per_place = demo.rows(
        "select e.category, sum(r.charges_in_scope) / sum(e.authorized_places) from marts.cost_reconciliation r "
        "join core.establishments e using (finess_et) where r.year = ? group by 1 order by 2 desc limit 1",
        [year])[0]
    row = next(r for r in _cells(_text(reports, "couts.html")) if r[0] == category and len(r) == 5)
    assert row[1] == euros(per_place) and row[2].endswith(")")

    quality = _key_figures(_text(reports, "qualite.html"))
    year = demo.scalar("select max(year) from marts.indicators_board")
    for key, mart in (("plans", "followup_plans_not_reviewed"), ("needs", "followup_uncovered_needs"),
                      ("ruptures", "followup_ruptures")):
        count = demo.scalar(f"select count(distinct person_id) from marts.{mart} where year = ?", [year])
        assert quality[f"followup|{key}"] == ("< 5" if 0 < count < 5 else number(count))
    movers = [k for k in quality if k.startswith("indicator|")]
    assert len(movers) == 3
    for key in movers:
        unit, value = demo.rows("select unit, value from marts.indicators_board where scope = 'platform' "
                                "and year = ? and indicator_id = ?", [year, key.split("|")[1]])[0]
        assert quality[key] == {"ratio": percent, "euros": euros, "count": number}[unit](float(value))

    territory = _key_figures(_text(reports, "territoire.html"))
    category, waiting = demo.rows(
        "select category, waiting_per_place from marts.territory_coverage where waiting_per_place is not null "
        "and year = (select max(year) from marts.territory_coverage) and department in "
        "(select department from marts.territory_establishments where in_cooperation) order by 2 desc limit 1")[0]
    assert territory["most_tense"] == number(waiting, 2) + " en attente par place"
    assert f"tension en {demo.scalar('select max(year) from marts.territory_coverage')} : {category}" in \
        _text(reports, "territoire.html")

    cpom = _key_figures(_text(reports, "cpom.html"))
    entity, charges = demo.rows(
        "select entity, value from marts.cpom_trajectory where level = 'gestionnaire' and status = 'observé' "
        "and measure = 'charges_in_scope' order by year desc limit 1")[0]
    assert cpom[f"charges|{entity}"] == euros(charges)


def test_no_empty_table_and_every_chart_has_its_name_and_transcript(reports):
    for name in BOARD_PAGES:
        text = _text(reports, name)
        for table in re.findall(r"<table>.*?</table>", text, flags=re.S):
            assert "<tbody><tr>" in table, (name, table[:200])
        assert "0 lignes sur" not in text and "en fraction" not in text, name
        charts = text.count('class="plotly-graph-div"')
        figures = re.findall(r'<figure class="chart" aria-label="([^"]*)">(.*?)</figure>', text, flags=re.S)
        assert len(figures) == charts, name
        for label, inner in figures:
            caption = re.search(r'<figcaption class="transcript">([^<]+)</figcaption>', inner)
            assert label and caption and len(caption.group(1)) > 30, (name, label)
    # a table of more than ten rows shows ten and folds the others
    text = _text(reports, "couts.html")
    assert re.search(r"<details><summary>Afficher les \d+ autres lignes</summary>", text)


def test_names_in_french_with_the_number_beside(demo, reports):
    text = _text(reports, "cpom.html")
    for entity, legal_name in demo.rows(
            "select distinct t.entity, f.legal_name from marts.cpom_trajectory t join core.finess_structures f "
            "on f.finess_ej = t.entity where t.level = 'gestionnaire'"):
        assert f"Trajectoire du gestionnaire {legal_name} ({entity})" in text
        assert f"Trajectoire du gestionnaire {entity}<" not in text
    # every row of the cost tables that starts with a FINESS number has the ESMS's name beside it
    names = dict(demo.rows("select finess_et, name from core.establishments"))
    rows = [r for r in _cells(_text(reports, "couts.html")) if r and r[0] in names]
    assert len(rows) > 50 and all(r[1] == names[r[0]] for r in rows)


def _english_labels() -> tuple[set[str], set[str]]:
    """The codes of the enumerations a reader must never see: the English HAS themes (enumerations.csv), the
    objectives' statuses and scopes. Codes of several words are searched anywhere, single words as whole cells."""
    import csv

    root = ROOT
    with open(root / "nomenclatures" / "enumerations.csv", encoding="utf-8") as handle:
        themes = {r["value"] for r in csv.DictReader(handle) if r["enumeration"] == "has_theme"}
    codes = themes | {"met", "on_track", "off_track", "no_data", "platform", "cooperation"}
    return {c for c in codes if " " in c or "_" in c}, {c for c in codes if " " not in c and "_" not in c}


def _labels_of(path: Path) -> list[str]:
    """The text a reader sees: a page's text outside scripts, styles and the scenario rules as written (<pre>), or
    every cell and sheet name of a workbook."""
    import html

    if path.suffix == ".xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        return [ws.title for ws in workbook.worksheets] + [
            str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row
            if isinstance(v, str)]
    text = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return [html.unescape(t).strip() for t in re.split(r"<[^>]+>", text) if t.strip()]


def test_no_english_label_of_an_enumeration_in_pages_and_workbooks(reports):
    phrases, words = _english_labels()
    assert "personalisation and co-construction" in phrases and "inclusion" in words
    files = [p for p in _board_files(reports) if p.name != "cpom_annexe.xlsx"]
    assert len(files) > 20
    for path in files:
        for label in _labels_of(path):
            assert not any(p in label for p in phrases) and label not in words, (path.name, label)


def test_no_english_label_in_the_cpom_annex(reports):
    phrases, words = _english_labels()
    for label in _labels_of(reports / "cpom_annexe.xlsx"):
        assert not any(p in label for p in phrases) and label not in words, label


def test_the_board_pack_pdf(demo, reports):
    """pack_copil.pdf (printed by Chromium in the demo run): it opens, A4 pages numbered, the steering dashboard,
    the CPOM synthesis and the other pages' key figures in it, the charts' transcripts, no person id."""
    from reports.pack import chromium

    path = reports / "pack_copil.pdf"
    if chromium() is None:
        if os.environ.get("SERAFIN_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed: the board pack was not printed")
        assert not path.exists()
        pytest.skip("Chromium is not installed (apt-get install chromium): no board pack to read")
    import pypdf

    reader = pypdf.PdfReader(path)
    pages = len(reader.pages)
    assert pages >= 6
    assert all(round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842
               for p in reader.pages)
    texts = [p.extract_text() for p in reader.pages]
    flat = re.sub(r"\s+", "", "".join(texts))
    assert all(f"Page{n}/{pages}" in re.sub(r"\s+", "", t) for n, t in enumerate(texts, start=1))
    year = demo.scalar("select max(year) from marts.cost_reconciliation")
    charges = demo.scalar("select sum(charges_total) from marts.cost_reconciliation where year = ?", [year])
    legal_name = demo.scalar("select max(legal_name) from core.finess_structures f join marts.cpom_trajectory t "
                             "on t.entity = f.finess_ej")
    for expected in ("Tableau de bord de pilotage", "Objectifs", "Dossier CPOM", "Coûts : l’essentiel",
                     "Territoire : l’essentiel", euros(charges), legal_name, "objectifs en", "Le plus éloigné"):
        assert re.sub(r"\s+", "", expected) in flat, expected
    persons = [r[0] for r in demo.rows("select person_id from core.persons")]
    assert not any(p in flat for p in persons)


def test_the_board_pack_is_skipped_without_chromium(demo, tmp_path, monkeypatch):
    import reports.pack as pack

    monkeypatch.setenv("SERAFIN_BOARD_PACK", "1")
    monkeypatch.setattr(pack, "chromium", lambda: None)
    said = pack.build_pack(demo.path, tmp_path)
    assert isinstance(said, str) and "Chromium is not installed" in said
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("SERAFIN_BOARD_PACK", "0")
    assert "SERAFIN_BOARD_PACK=0" in pack.build_pack(demo.path, tmp_path)


def test_the_words_of_a_change_and_a_transcript():
    from reports.narrative import change, extremes, trend

    assert change(110.0, 100.0, number, 2024) == "en hausse de 10,0\u202f% sur 2024 (100)"
    assert change(0.45, 0.5, percent, 2024, rate=True) == "en baisse de 5,0 points sur 2024 (50,0\u202f%)"
    assert change(3, 1, number, 2024, count=True) == "en hausse de 2 sur 2024 (1)"
    assert change(7, 7, number, 2024) == "stable sur 2024 (7)"
    assert change(7, None, number, 2024) == "pas de valeur pour l’exercice précédent (2024)"
    assert extremes([("A", 3.0), ("B", None), ("C", 9.0)], number, "Places") == \
        "Places : le plus élevé, C (9) ; le plus bas, A (3)."
    assert trend([(2023, 5.0), (2024, None), (2025, 2.0)], number, "File") == "File : de 5 en 2023 à 2 en 2025, en baisse."
