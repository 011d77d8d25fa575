"""Cost engine edge cases and a two-ESMS, two-year case, through the real pipeline.

Three ESMS, each year isolating a case of cost-method.md (expected values worked out by hand below):

- P (IME 690000039), 2024: a credit note (6132, -2 000) and a negative excluded amount (6711, -500) kept
  as they are; a volunteer V1 absent from the staff table records time (hours, no cost); an event at
  2024-12-31 23:30 lasting two hours counts in 2024; person A's stay 2024-12-20 → 2025-01-10 crosses the
  year (12 nights in 2024, 10 in 2025).
- P, 2025: a personnel gap (P_L 60 000 < S 65 000); a hors-champ charge; prestation 2.1.1.1 recorded
  with no person (received by nobody → unallocated, no_person_received).
- Q (SESSAD 690000047), 2024: activity and staff but no ledger → no cost, listed.
- Q, 2025: nobody has a night: laundry (3.2.3, a nights section) falls back to presence days.
- R (MAS 690000054), 2025: a ledger and staff but no activity → everything unallocated
  (overhead: no_direct_cost; meals: no_units).
"""

import json
import os

import pytest

from tests.conftest import Warehouse, run_dbt, run_pipeline

P, Q, R = "690000039", "690000047", "690000054"

FILES = {
    "establishments.csv": f"""finess_et,name,category,gestionnaire,department,authorized_places
{P},IME Les Cèdres,IME,690000021,69,20
{Q},SESSAD Le Rhône,SESSAD,690000021,69,15
{R},MAS Les Saules,MAS,690000021,69,10
""",
    "persons.csv": """person_id,birth_year,sex
A,2012,M
B,2011,F
C,2016,M
D,2017,F
""",
    "staff.csv": f"""professional_id,finess_et,year,profession,fte,annual_cost
E1,{P},2024,educateur_specialise,1.0,40000
D1,{P},2024,directeur,0.2,20000
E1,{P},2025,educateur_specialise,1.0,45000
D1,{P},2025,directeur,0.2,20000
S1,{Q},2024,orthophoniste,0.5,30000
S1,{Q},2025,orthophoniste,0.5,30000
D2,{R},2025,directeur,0.5,50000
""",
    "ledger.csv": f"""finess_et,year,account,label,amount,section
{P},2024,6411,Salaires,60000,
{P},2024,6132,Loyer,20000,
{P},2024,6132,Avoir sur loyer,-2000,
{P},2024,6021,Alimentation,7300,3.2.2.1
{P},2024,6152,Entretien hébergement,2400,3.2.1.1
{P},2024,6711,Charges exceptionnelles (régularisation),-500,
{P},2025,6411,Salaires,50000,
{P},2025,6451,Charges sociales,10000,
{P},2025,6152,Entretien hébergement,1000,3.2.1.1
{P},2025,6288,Activité annexe,3000,hors_champ
{Q},2025,6411,Salaires,30000,
{Q},2025,6242,Transports d'usagers,4000,
{Q},2025,6288,Blanchisserie,600,3.2.3
{R},2025,6411,Salaires,50000,
{R},2025,6132,Loyer,10000,
{R},2025,6021,Alimentation,5000,3.2.2.1
""",
    "activity.csv": f"""event_id,person_id,finess_et,professional_id,prestation_code,start,end,duration_min,setting,status
e1,A,{P},E1,2.2.1,2024-03-04T09:00:00,2024-03-04T11:00:00,,structure,realise
e2,A,{P},E1,2.3.3.1,2024-03-05T09:00:00,2024-03-05T11:00:00,,ecole,realise
e2,B,{P},E1,2.3.3.1,2024-03-05T09:00:00,2024-03-05T11:00:00,,domicile,realise
e3,B,{P},E1,2.2.1,2024-12-31T23:30:00,2025-01-01T01:30:00,,structure,realise
e4,A,{P},V1,2.3.3.1,2024-03-06T14:00:00,,60,cite,realise
e5,B,{P},E1,2.2.1,2024-03-07T09:00:00,,60,structure,planifie
f1,A,{P},E1,2.2.1,2025-01-06T09:00:00,2025-01-06T10:30:00,,structure,realise
f2,,{P},E1,2.1.1.1,2025-01-07T09:00:00,2025-01-07T09:30:00,,structure,realise
g1,C,{Q},S1,2.1.2.1,2024-05-02T10:00:00,2024-05-02T11:00:00,,domicile,realise
g2,C,{Q},S1,2.1.2.1,2025-02-03T10:00:00,2025-02-03T11:00:00,,domicile,realise
g3,D,{Q},S1,2.1.2.1,2025-02-04T10:00:00,2025-02-04T11:00:00,,ecole,realise
g4,D,{Q},S1,2.1.2.1,2025-02-05T10:00:00,2025-02-05T11:00:00,,ecole,realise
""",
    "stays.csv": f"""stay_id,person_id,finess_et,start_date,end_date,modality
s1,A,{P},2024-12-20,2025-01-10,internat
s2,B,{P},2024-06-01,2024-06-18,internat
s3,B,{P},2024-09-01,,semi_internat
s4,C,{Q},2024-01-01,,externat
s5,D,{Q},2025-01-15,,semi_internat
""",
}


@pytest.fixture(scope="module")
def edge(tmp_path_factory) -> Warehouse:
    """The folder through ingestion and the dbt build, its tests and gates (`serafin run --warehouse-only`): the
    tests read the warehouse, not the pages nor the data-quality checks."""
    work = tmp_path_factory.mktemp("edge")
    landing = work / "landing"
    landing.mkdir()
    for name, text in FILES.items():
        (landing / name).write_text(text, encoding="utf-8")
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    return Warehouse(warehouse)


def pid(person: str) -> str:
    from pipelines.ingestion.pseudonym import pseudonymise

    return pseudonymise(os.environ["SERAFIN_PSEUDONYM_KEY"].encode(), person)


def cents(values):
    return [None if v is None else round(v, 2) for v in values]


RECONCILIATION = (
    "select charges_total, charges_excluded, charges_hors_champ, charges_in_scope, personnel_ledger, staff_cost, "
    "personnel_gap, allocated_to_persons, unallocated, delta from marts.cost_reconciliation "
    "where finess_et = ? and year = ?")


@pytest.mark.parametrize("finess, year, expected", [
    # P 2024: 60 000 + 20 000 - 2 000 + 7 300 + 2 400 in scope; -500 excluded
    (P, 2024, [87200, -500, 0, 87700, 60000, 60000, 0, 87700, 0, 0]),
    # P 2025: 60 000 + 1 000 in scope, 3 000 hors champ; 2.1.1.1 (15 000) reached nobody
    (P, 2025, [64000, 0, 3000, 61000, 60000, 65000, -5000, 46000, 15000, 0]),
    # Q 2024: no ledger → no cost at all, but the ESMS-year is listed with its staff cost
    (Q, 2024, [0, 0, 0, 0, 0, 30000, -30000, 0, 0, 0]),
    (Q, 2025, [34600, 0, 0, 34600, 30000, 30000, 0, 34600, 0, 0]),
    # R 2025: nothing reaches a person
    (R, 2025, [65000, 0, 0, 65000, 50000, 50000, 0, 0, 65000, 0]),
])
def test_reconciliation_per_esms_year(edge, finess, year, expected):
    rows = edge.rows(RECONCILIATION, [finess, year])
    assert len(rows) == 1
    assert cents(rows[0]) == expected


def test_exactly_the_expected_esms_years(edge):
    assert edge.rows("select finess_et, year, has_ledger from marts.cost_reconciliation order by 1, 2") == [
        (P, 2024, True), (P, 2025, True), (Q, 2024, False), (Q, 2025, True), (R, 2025, True)]


def test_no_ledger_is_listed_not_costed(edge):
    warning = edge.scalar("select ledger_warning from marts.cost_quality where finess_et = ? and year = 2024", [Q])
    assert warning is not None and "no ledger" in warning
    assert edge.scalar("select ledger_warning from marts.cost_quality where finess_et = ? and year = 2025", [Q]) is None
    # the hour is there, the cost is not (neither 0 €/h nor a 0 € basket)
    row = edge.rows("select professional_hours, full_cost, cost_per_hour from marts.cost_per_prestation "
                    "where finess_et = ? and year = 2024", [Q])
    assert row == [(1.0, None, None)]
    assert edge.scalar("select count(*) from marts.person_cost where finess_et = ? and year = 2024", [Q]) == 0


@pytest.mark.parametrize("finess, year, section, expected", [
    # E1 2024: 240 min on 2.2.1 (e1 + e3), 120 min on 2.3.3.1 (e2 once for two persons) of 40 000
    (P, 2024, "2.2.1", 26666.67), (P, 2024, "2.3.3.1", 13333.33), (P, 2024, "3.1.1.1", 20000.00),
    (P, 2024, "3.2.1", 18000.00), (P, 2024, "3.2.2.1", 7300.00), (P, 2024, "3.2.1.1", 2400.00),
    # 2025: gap -5 000 scales staff cost by 60/65; E1 90 min on 2.2.1, 30 on 2.1.1.1 of 45 000
    (P, 2025, "2.2.1", 31153.85), (P, 2025, "2.1.1.1", 10384.62), (P, 2025, "3.1.1.1", 18461.54),
    (P, 2025, "3.2.1.1", 1000.00),
    (Q, 2025, "2.1.2.1", 30000.00), (Q, 2025, "3.2.4.1", 4000.00), (Q, 2025, "3.2.3", 600.00),
    (R, 2025, "3.1.1.1", 50000.00), (R, 2025, "3.2.1", 10000.00), (R, 2025, "3.2.2.1", 5000.00),
])
def test_section_costs(edge, finess, year, section, expected):
    assert round(edge.scalar("select cost from marts.section_cost where finess_et = ? and year = ? and section = ?",
                             [finess, year, section]), 2) == expected


@pytest.mark.parametrize("finess, year, code, hours, persons, full_cost", [
    # overhead 38 000 over direct 40 000: F = C × 1.95. 2.2.1: e1 2 h + e3 2 h (23:30 → 01:30, in 2024);
    # the planned e5 is ignored. 2.3.3.1: e2 2 h once + V1's hour (no staff cost, but hours).
    (P, 2024, "2.2.1", 4.0, 2, 52000.00),
    (P, 2024, "2.3.3.1", 3.0, 2, 26000.00),
    # 2025: only f1 (1.5 h): e3 started in 2024 and is not counted again
    (P, 2025, "2.2.1", 1.5, 1, 45000.00),
    (P, 2025, "2.1.1.1", 0.5, 0, 15000.00),
    (Q, 2025, "2.1.2.1", 3.0, 2, 30000.00),
])
def test_cost_per_prestation(edge, finess, year, code, hours, persons, full_cost):
    row = edge.rows("select professional_hours, persons, full_cost, cost_per_hour from marts.cost_per_prestation "
                    "where finess_et = ? and year = ? and prestation_code = ?", [finess, year, code])[0]
    assert row[0] == hours and row[1] == persons and round(row[2], 2) == full_cost
    assert round(row[3], 2) == round(full_cost / hours, 2)


@pytest.mark.parametrize("finess, year, person, direct, logistics", [
    # A 2024: 2.2.1 2 h of 4 → 26 000; 2.3.3.1 1 h (e2) + 1 h (e4) of 3 → 17 333.33;
    #   meals 7 300 × 3 presence days / 5 = 4 380; lodging 2 400 × 12 nights / 30 = 960
    (P, 2024, "A", 43333.33, 5340.00),
    # B 2024: 2.2.1 2 h of 4 → 26 000; 2.3.3.1 1 h of 3 → 8 666.67; meals 2 days → 2 920; 18 nights → 1 440
    (P, 2024, "B", 34666.67, 4360.00),
    # A 2025: all of 2.2.1; the 10 nights of January are the only nights → all 1 000 of 3.2.1.1
    (P, 2025, "A", 45000.00, 1000.00),
    # Q 2025, nobody has nights: transport 4 000 and laundry 600 both by presence days (C 1, D 2)
    (Q, 2025, "C", 10000.00, 1533.33),
    (Q, 2025, "D", 20000.00, 3066.67),
])
def test_person_cost(edge, finess, year, person, direct, logistics):
    row = edge.rows("select direct_cost, logistics_cost, total_cost from marts.person_cost "
                    "where finess_et = ? and year = ? and person_id = ?", [finess, year, pid(person)])
    assert len(row) == 1
    assert cents(row[0]) == [direct, logistics, round(direct + logistics, 2)]


def test_b_has_no_cost_in_2025(edge):
    # B's only 2025 minutes are the tail of e3, which belongs to 2024
    assert edge.scalar("select count(*) from marts.person_cost where year = 2025 and person_id = ?", [pid("B")]) == 0


def test_logistics_basis(edge):
    rows = {(r[0], r[1], r[2]): r[3] for r in edge.rows(
        "select finess_et, year, section, basis from intermediate.int_person_logistics_cost")}
    assert rows[(P, 2024, "3.2.1.1")] == "nights"
    assert rows[(P, 2024, "3.2.2.1")] == "presence_days"
    assert rows[(Q, 2025, "3.2.3")] == "presence_days"  # no nights in the year: fallback
    assert rows[(Q, 2025, "3.2.4.1")] == "presence_days"


def test_nights_of_a_stay_crossing_years(edge):
    nights = {(r[0], r[1]): r[2] for r in edge.rows(
        "select year, person_id, nights from intermediate.int_person_logistics_units where finess_et = ?", [P])}
    assert nights[(2024, pid("A"))] == 12   # 20 → 31 December
    assert nights[(2025, pid("A"))] == 10   # 1 → 10 January, end date inclusive
    assert nights[(2024, pid("B"))] == 18   # 1 → 18 June; the semi-internat stay counts no night


def test_unallocated_with_reasons(edge):
    rows = sorted((r[0], r[1], r[2], round(r[3], 2), r[4]) for r in edge.rows(
        "select finess_et, year, section, amount, reason from marts.unallocated_cost"))
    assert rows == [
        (P, 2025, "2.1.1.1", 15000.00, "no_person_received"),
        (R, 2025, "3.1.1.1", 50000.00, "no_direct_cost"),
        (R, 2025, "3.2.1", 10000.00, "no_direct_cost"),
        (R, 2025, "3.2.2.1", 5000.00, "no_units"),
    ]


def test_time_without_staff_cost_is_reported(edge):
    row = edge.rows("select hours_without_staff, hours_recorded from marts.cost_quality "
                    "where finess_et = ? and year = 2024", [P])[0]
    assert row == (1.0, 7.0)  # V1's hour; E1 2 + 2 + 2 h and V1 1 h


def test_credit_notes_kept_as_they_are(edge):
    amounts = sorted(r[0] for r in edge.rows(
        "select amount from intermediate.int_charges_classified where finess_et = ? and year = 2024 "
        "and account in ('6132', '6711')", [P]))
    assert amounts == [-2000, -500, 20000]


def test_errd_split(edge):
    # P 2024: groupe I achats 6021 7 300; II personnel 6411 60 000; III structure 6132 20 000 - 2 000,
    # 6152 2 400 and the excluded 6711 -500
    rows = edge.rows("select errd_group, charges_total, charges_excluded, charges_in_scope "
                     "from marts.cost_reconciliation_errd where finess_et = ? and year = 2024 order by 1", [P])
    assert [(r[0], *cents(r[1:])) for r in rows] == [
        ("I", 7300.00, 0.00, 7300.00), ("II", 60000.00, 0.00, 60000.00), ("III", 19900.00, -500.00, 20400.00)]


def test_years_option_costs_only_the_selected_years(edge, tmp_path, monkeypatch):
    """`serafin run --years 2025` gives dbt SERAFIN_VAR_YEARS=[2025] (pipelines/dbt_build.py:environment): rebuild
    the cost models of a copy of the warehouse with that environment (those the reconciliation and the person costs
    come from, with their tests); 2025 figures stay, 2024 disappears."""
    import shutil

    from pipelines.dbt_build import environment, var_values
    from pipelines.defs.dbt import DbtRunConfig

    # same file name: dbt-duckdb's views name their catalog after the file (core.activity is a view)
    warehouse = tmp_path / edge.path.name
    env = environment(var_values(DbtRunConfig(years=[2025, 2025]).options(), str(warehouse)))
    assert env["SERAFIN_VAR_YEARS"] == "[2025]"
    monkeypatch.setenv("SERAFIN_VAR_YEARS", env["SERAFIN_VAR_YEARS"])
    shutil.copyfile(edge.path, warehouse)
    costs = "path:models/intermediate/costs+"
    ok, statuses = run_dbt(warehouse, ["build", "--select", f"{costs},+cost_reconciliation {costs},+person_cost"],
                           tmp_path)
    assert ok and {"model.serafin.cost_reconciliation", "model.serafin.person_cost", "model.serafin.int_actions",
                   "test.serafin.assert_costs_reconcile_to_ledger"} <= set(statuses)
    rebuilt = Warehouse(warehouse)
    assert rebuilt.rows("select distinct year from marts.cost_reconciliation") == [(2025,)]
    assert cents(rebuilt.rows(RECONCILIATION, [P, 2025])[0]) == [
        64000, 0, 3000, 61000, 60000, 65000, -5000, 46000, 15000, 0]
    assert rebuilt.scalar("select count(*) from marts.person_cost where year = 2024") == 0


def test_an_action_takes_its_first_setting_by_line(edge):
    """e2's two rows disagree on the setting: the action keeps line 3's (ecole), the first by file and line, not the
    smaller text (domicile); each person's row of the action carries the action's setting."""
    assert edge.rows("select setting, persons from intermediate.int_actions where event_id = 'e2'") == [("ecole", 2)]
    assert edge.rows("select distinct setting from intermediate.int_person_actions where event_id = 'e2'") == [
        ("ecole",)]


def test_year_passes_give_the_same_rows(edge, tmp_path, monkeypatch):
    """Above var('year_passes_above_rows') input rows, the models that group, join or order every realised activity
    row run one year at a time (macros/incremental.sql: year_passes, for a region's 50 M rows). With the threshold
    at 0 on a copy of this warehouse (2024 and 2025), a full build of the four gives exactly the rows of one pass."""
    import shutil

    import duckdb

    models = ["int_actions", "int_person_actions", "int_activity_dates", "int_activity_gaps"]
    warehouse = tmp_path / edge.path.name
    shutil.copyfile(edge.path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for model in models:
            con.execute(f"create table main.single_{model} as select * from intermediate.{model}")
    monkeypatch.setenv("SERAFIN_VAR_YEAR_PASSES_ABOVE_ROWS", "0")  # the setting as an operator gives it
    ok, statuses = run_dbt(warehouse, ["run", "--full-refresh", "--select", " ".join(models)], tmp_path)
    assert ok and set(statuses) == {f"model.serafin.{m}" for m in models}
    compiled = {r["unique_id"]: r["compiled_code"] for r in json.loads(
        (tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]}
    for model in models:  # one pass per year, 2024 and 2025
        code = " ".join(compiled[f"model.serafin.{model}"].split())
        assert ("cast('2024-01-01' as timestamp)" in code and "cast('2025-01-01' as timestamp)" in code) or (
            "year = 2024" in code and "year = 2025" in code), model
    rebuilt = Warehouse(warehouse)
    for model in models:
        assert rebuilt.scalar(f"select count(*) from intermediate.{model}") > 0, model
        for a, b in ((f"intermediate.{model}", f"main.single_{model}"), (f"main.single_{model}", f"intermediate.{model}")):
            assert rebuilt.rows(f"select * from {a} except all select * from {b}") == [], model
    assert rebuilt.scalar("select count(distinct year) from intermediate.int_actions") == 2


def test_a_professional_absent_from_the_staff_table_counts_in_estimated_hours_not_in_traceability(edge):
    """Cost-method step 12 on P 2024: E1 (1.0 FTE, 1 607 h paid) records 4 h on 2.2.1 and 2 h on 2.3.3.1; V1, absent
    from the staff table, records 1 h on 2.3.3.1; D1 (directeur, 0.2 FTE, 20 000 of 60 000) records nothing.
    Ĥ(2.2.1) = 1 607 × 4 / 6 = 1 071.33 h; Ĥ(2.3.3.1) = 1 607 × 2 / 6 + V1's 1 h = 536.67 h; τ = 6 / 1 607 (V1's
    hour and D1's paid hours are not in it)."""
    estimated = dict(edge.rows("select prestation_code, estimated_hours from marts.cost_per_prestation "
                               "where finess_et = ? and year = 2024", [P]))
    assert estimated == {"2.2.1": pytest.approx(1607 * 4 / 6), "2.3.3.1": pytest.approx(1607 * 2 / 6 + 1)}
    # full costs 52 000 and 26 000 (test_cost_per_prestation) over the estimated hours
    per_hour = dict(edge.rows("select prestation_code, cost_per_estimated_hour from marts.cost_per_prestation "
                              "where finess_et = ? and year = 2024", [P]))
    assert per_hour == {"2.2.1": pytest.approx(52000 / (1607 * 4 / 6)),
                        "2.3.3.1": pytest.approx(26000 / (1607 * 2 / 6 + 1))}
    row = edge.rows("select paid_hours, recorded_hours, traceability, untraced_staff_cost, staff_cost, "
                    "hours_without_staff, flagged from marts.traceability "
                    "where finess_et = ? and year = 2024 and profession is null", [P])
    assert row == [(pytest.approx(1607.0), pytest.approx(6.0), pytest.approx(6 / 1607), 20000.0, 60000.0, 1.0, True)]
    # no row for V1's profession (unknown): the profession rows are the staff table's
    assert sorted(r[0] for r in edge.rows("select profession from marts.traceability where finess_et = ? and year = 2024 "
                                          "and profession is not null", [P])) == ["directeur", "educateur_specialise"]
