"""The built-in demo data through the real pipeline: every ESMS-year reconciles with its ledger, the
cost per place lies in the sector's range for its category (nomenclatures/esms_categories.csv), and the
planted bad rows are quarantined, not lost."""




def test_every_esms_year_reconciles(demo):
    rows = demo.rows("select finess_et, year, charges_in_scope, allocated_to_persons, unallocated, delta, "
                     "charges_total - charges_excluded - charges_hors_champ - charges_in_scope "
                     "from marts.cost_reconciliation")
    assert len(rows) == 6 * 2
    for finess, year, in_scope, allocated, unallocated, delta, scope_gap in rows:
        assert in_scope > 0, (finess, year)
        assert abs(in_scope - allocated - unallocated) <= 0.01 and abs(delta) <= 0.01, (finess, year)
        assert abs(scope_gap) <= 0.01, (finess, year)
        # a working ESMS gives nearly all its cost to the persons it supports
        assert unallocated <= 0.01 * in_scope, (finess, year, unallocated)


def test_cost_per_place_in_sector_range(demo):
    from reports.cost_report import cost_summary

    summary = cost_summary(demo.path)
    assert {s["category"] for s in summary} == {"IME", "SESSAD", "MAS", "FAM", "ESAT", "SAVS"}
    for s in summary:
        assert s["cost_per_place_min"] <= s["cost_per_place"] <= s["cost_per_place_max"], s


def test_person_costs_add_up_to_the_allocated_total(demo):
    # an independent sum over the person mart and the per-prestation mart (full cost reaches persons)
    by_person = demo.scalar("select sum(total_cost) from marts.person_cost")
    allocated = demo.scalar("select sum(allocated_to_persons) from marts.cost_reconciliation")
    assert abs(by_person - allocated) < 0.01
    direct = demo.scalar("select sum(direct_cost) from marts.person_cost")
    full = demo.scalar("select sum(full_cost) from marts.cost_per_prestation")
    unreceived = demo.scalar("select coalesce(sum(amount), 0) from marts.unallocated_cost "
                             "where reason = 'no_person_received'")
    assert abs(direct - (full - unreceived)) < 0.01


def test_planted_bad_rows_are_quarantined(demo):
    log = demo.rows("select sum(rows_read), sum(rows_loaded), sum(rows_rejected), sum(rows_unmapped) "
                    "from audit.ingestion_log")[0]
    assert log[0] == log[1] + log[2] + log[3] and log[2] > 0
    assert demo.scalar("select count(*) from audit.rejected_rows") >= log[2]


def test_cost_summary_fits_one_screen(demo, capsys):
    from pipelines.cli import print_cost_summary

    print_cost_summary(demo.path)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) <= 40 and all(len(line) <= 150 for line in lines)
    assert sum("IME" in line for line in lines) == 2  # one row per ESMS-year


def test_every_indicator_and_objective_of_the_demo_has_a_value(demo):
    counts = demo.rows("select count(*), count(value) from marts.indicators where scope not in ('platform', 'cooperation')")
    assert counts == [(13 * 6 * 2, 13 * 6 * 2)]  # 13 indicators, 6 ESMS, 2 years, none NULL
    assert demo.scalar("select count(*) from marts.objectives where actual is null") == 0
    assert demo.scalar("select count(distinct objective_id) from marts.objectives") == 5


def test_the_demo_is_plausible_for_each_category(demo):
    """A MAS keeps its residents for years (its file active stays close to its places and its occupancy at 90 %
    or more); a SESSAD works in ordinary settings much more than an IME."""
    values = {(r[0], r[1]): r[2] for r in demo.rows(
        "select e.category, i.indicator_id, avg(i.value) from marts.indicators as i "
        "join core.establishments as e on e.finess_et = i.scope group by 1, 2")}
    places = dict(demo.rows("select category, authorized_places from core.establishments"))
    assert values[("MAS", "occupancy_rate")] >= 0.90
    assert values[("MAS", "occupancy_rate")] <= 1.0
    assert abs(values[("MAS", "file_active")] - places["MAS"]) <= 0.15 * places["MAS"]
    assert values[("SESSAD", "inclusion_share")] >= values[("IME", "inclusion_share")] + 0.15
    assert all(values[(c, "occupancy_rate")] <= 1.0 for c in places)


def test_both_demo_scenarios_fund_every_esms_and_year(demo):
    esms_years = demo.scalar("select count(*) from (select distinct finess_et, year from marts.cost_reconciliation)")
    rows = demo.rows("select scenario, count(*), count(baseline_funding), count(scenario_funding), "
                     "min(scenario_funding), count(funding_low) from marts.funding_scenario group by 1 order by 1")
    assert [r[0] for r in rows] == ["Besoins et milieu ordinaire", "Tarif horaire médian"]
    for scenario, n, baselines, fundings, lowest, lows in rows:
        assert n == baselines == fundings == lows == esms_years, scenario
        assert lowest > 0, scenario
    # the demo ledger's tarification is of the sector's order: within 10 % of the charges in scope
    ratios = demo.rows("select f.baseline_funding / c.charges_in_scope from marts.funding_scenario as f "
                       "join marts.cost_reconciliation as c using (finess_et, year)")
    assert all(0.85 < r[0] < 1.10 for r in ratios)
    # the two models disagree: some ESMS gain in one and lose in the other
    signs = demo.rows("select finess_et, year, count(distinct sign(delta)) from marts.funding_scenario group by 1, 2")
    assert any(r[2] == 2 for r in signs)
    # every demo person is in one band per scenario and ESMS-year
    assert demo.scalar("select sum(persons) from marts.funding_person_bands where scenario = 'Tarif horaire médian'") \
        == demo.scalar("select count(*) from marts.person_cost")


def test_the_demo_shows_the_territory(demo):
    # the gestionnaire's six ESMS are in its FINESS extract, among other gestionnaires' of the same departments
    assert demo.scalar("select count(*) from core.establishments where finess_et not in "
                       "(select finess_et from core.finess_structures)") == 0
    offer = demo.rows("select department, category, gestionnaires, cooperation_places from marts.territory_offer "
                      "where department = '69'")
    assert {r[1] for r in offer} >= {"IME", "SESSAD", "MAS", "FAM", "ESAT", "SAVS"}
    assert max(r[2] for r in offer) >= 2 and sum(r[3] for r in offer) > 0
    # waiting lists in the Rhône, with their waiting days; places per 1,000 inhabitants of the age band served
    waiting = demo.rows("select category, waiting_persons, median_waiting_days from marts.territory_demand "
                        "where department = '69' and year = 2025 and waiting_persons is not null")
    assert len(waiting) >= 4 and all(w[1] >= 5 and 0 < w[2] < 1000 for w in waiting)
    rates = demo.rows("select places_per_1000 from marts.territory_coverage where department = '69' and year = 2025")
    assert rates and all(r[0] is not None and 0 < r[0] < 5 for r in rates)
    # the demo persons admitted keep their pseudonym: their orientation joins their stay
    assert demo.scalar("select count(*) from core.orientations as o join core.stays as s using (person_id) "
                       "where o.status = 'admis'") > 0


def test_the_cpom_pack(demo):
    """cpom_annexe.xlsx re-read with openpyxl: its sheets, French headers, frozen header rows and number formats,
    and figures equal to the marts'; cpom.html and index.html open offline and show the marts' figures."""
    import re

    import openpyxl

    reports = demo.path.parent / "reports"
    workbook = openpyxl.load_workbook(reports / "cpom_annexe.xlsx")
    assert workbook.sheetnames == ["Établissements et activité", "Coûts par prestation",
                                   "Coût par place et par personne", "Indicateurs", "Objectifs", "Trajectoire",
                                   "Scénario retenu"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == ("F5" if sheet.title == "Trajectoire" else "A2"), sheet.title
        assert sheet.max_row > 1, sheet.title
    costs = workbook["Coûts par prestation"]
    assert [c.value for c in costs[1]][:4] == ["FINESS", "Exercice", "Prestation", "Libellé officiel"]
    first = [c.value for c in costs[2]]
    assert costs.cell(2, 9).number_format == '#,##0 "€"'
    full_cost = demo.scalar("select full_cost from marts.cost_per_prestation where finess_et = ? and year = ? "
                            "and prestation_code = ?", first[:3])
    # Excel keeps 15 significant digits: equal to the cent
    assert round(first[8], 2) == round(full_cost, 2) and isinstance(first[0], str) and len(first[0]) == 9
    # the trajectory with years as columns, the gestionnaire named as the FINESS directory names its legal entity;
    # its figures are formulas, written with the mart's value (tests/test_funding.py recalculates them)
    rows = list(openpyxl.load_workbook(reports / "cpom_annexe.xlsx", data_only=True)["Trajectoire"].iter_rows(
        values_only=True))
    gestionnaire, year, value = demo.rows(
        "select entity, year, value from marts.cpom_trajectory where level = 'gestionnaire' "
        "and measure = 'charges_in_scope' and status = 'projeté' order by year desc limit 1")[0]
    row = next(r for r in rows if r[0] == "Gestionnaire" and r[1] == gestionnaire and r[4] == "Charges dans le champ")
    assert round(row[rows[3].index(f"{year} (projeté)")], 2) == round(value, 2)
    assert row[2] == demo.scalar("select legal_name from core.finess_structures where finess_ej = ? limit 1",
                                 [gestionnaire])
    assert workbook["Trajectoire"].cell(row=rows.index(row) + 1, column=6).value.startswith("=IF(SUMPRODUCT(")
    # every label in French: the HAS themes as the enumeration names them
    themes = {r[4] for r in workbook["Indicateurs"].iter_rows(min_row=2, values_only=True)}
    assert "Inclusion et participation sociale" in themes and "inclusion" not in themes
    # the chosen scenario is the one cpom.yaml names
    assert {r[0] for r in workbook["Scénario retenu"].iter_rows(min_row=2, values_only=True)} == \
        {"Besoins et milieu ordinaire"}
    # the board's small cells stay hidden in the annex
    shown = [r[5] for r in workbook["Indicateurs"].iter_rows(min_row=2, values_only=True)]
    hidden = demo.scalar("select count(*) from marts.indicators_board where not shown")
    assert sum(v == "< 5" for v in shown) == hidden

    page = (reports / "cpom.html").read_text(encoding="utf-8")
    from reports.common import euros

    assert euros(value) in page and "Besoins et milieu ordinaire" in page
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{name}"' in index for name in ("couts.html", "cpom.html", "cpom_annexe.xlsx"))
    for name in ("couts.html", "cpom.html", "index.html"):
        text = (reports / name).read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=\"https?://", text) and "cdn.plot.ly" not in text, name
        assert len(text) < 1_000_000, name  # Plotly's library is one shared file, not a copy per page
        # no pseudonymised person id in a board-level page
        persons = [r[0] for r in demo.rows("select person_id from core.persons limit 50")]
        assert not any(p in text for p in persons), name
    assert (reports / "assets" / "plotly.min.js").stat().st_size > 1_000_000


def test_the_demo_reads_both_input_paths(demo):
    """Its last month of activity came as TDDUI FHIR files (a Bundle and NDJSON, with Group subjects), their
    persons as Patient resources; those rows are costed like the CSV ones."""
    files = dict(demo.rows("select file, rows_loaded from audit.ingestion_log where source_table = 'fhir'"))
    assert set(files) == {"fhir/referentiel.json", "fhir/evenements_2025-12.json", "fhir/evenements_2025-12.ndjson"}
    assert all(n > 0 for n in files.values())
    fhir_rows = demo.scalar("select count(*) from core.activity where _file like 'fhir/%'")
    assert fhir_rows == files["fhir/evenements_2025-12.json"] + files["fhir/evenements_2025-12.ndjson"]
    assert demo.scalar("select count(*) from core.activity where _file like 'fhir/%' "
                       "and strftime(started_at, '%Y-%m') <> '2025-12'") == 0
    # December's realised direct hours reach the persons' costs: their actions carry a person share
    costed = demo.scalar("""select count(*) from marts.person_action_cost p join core.activity a
                            on a.event_id = p.event_id and a.professional_id = p.professional_id
                            and a.person_id = p.person_id where a._file like 'fhir/%'""")
    assert costed > 0
