"""Funding scenarios (docs' scenarios.md), through the real pipeline, with figures worked out by hand.

The landing folder is the cost method's worked example (IME 690000013, 2025: every cost is in cost-method.md)
plus a second IME 690000039 (one educator, 20 000 of salaries, 4 h on 2.3.3.1 in the structure, 10 000 of
supplies: 2.3.3.1 costs 30 000 for 4 h, 7 500 an hour; person D receives all of it), and a SESSAD 690000047
with 10 places and nothing else. Class 7 products: the worked example's IME has 200 000 of dotation (731), 5 000
of participations (734) and 3 000 of subsidies (74) in 2025, and 190 000 of dotation in 2024; the second IME has
none (a year without class 7 products).

Longer than the house's ~400 lines on purpose: one landing built once for the module (a pipeline run), read by one
test per rule kind and per hand calculation; split in two files, it would be built twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import WORKED_EXAMPLE, Warehouse, run_pipeline

A, B, C = "690000013", "690000039", "690000047"

SCENARIO_1 = """\
name: s1
description: Tous les types de règle
years: [2025]
rules:
  - kind: base_share
    share: 0.5
  - kind: per_place
    amounts: {IME: 1000, 182: 500}
  - kind: per_hour
    prestation: 2.1
    tariff: 100
  - kind: per_hour
    prestation: "2.3.3.1"
    settings: [ecole]
    tariff: {percentile: 50, of: cost_per_hour, among: category}
  - kind: per_person
    prestation: "2.2"
    tariff: 900
  - kind: per_night
    tariff: 75
  - kind: per_presence_day
    tariff: 40
  - kind: per_need_level
    need: "1.1"
    amounts: {1: 100, 2: 300}
shifts:
  - prestation: "2.3"
    from_setting: structure
    to_setting: ecole
    share: 0.25
"""

SCENARIO_2 = """\
name: s2
rules:
  - kind: base_share
    share: 0.9
  - kind: per_hour
    prestation: "2.3.3.1"
    tariff: {percentile: 25, among: all}
sensitivity: 0.2
"""


CPOM = f"""\
cpom_years: 3
personnel_growth: 0.03
other_growth: 0.01
funding_growth: 0.02
convergence_years: 2
target_scenario: s1
places:
  - {{finess_et: "{A}", year: 2027, change: 10}}
"""


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text.strip() + "\n")


@pytest.fixture(scope="module")
def funding(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("funding")
    landing = work / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    _append(landing / "establishments.csv", f"{B},IME Les Cèdres,IME,690000021,69,20\n"
                                             f"{C},SESSAD Le Lien,182,690000021,69,10")
    _append(landing / "ledger.csv", f"""
{A},2025,731100,Dotation globale ARS,200000,
{A},2025,7341,Participations des usagers,5000,
{A},2025,7471,Subvention,3000,
{A},2024,731100,Dotation globale ARS,190000,
{B},2025,6411,Salaires,20000,
{B},2025,6063,Fournitures,10000,""")
    _append(landing / "staff.csv", f"P1,{B},2025,educateur_specialise,0.5,20000")
    _append(landing / "persons.csv", "D,2012,M")
    _append(landing / "stays.csv", f"s4,D,{B},2025-01-01,,externat")
    _append(landing / "activity.csv", f"evb1,D,{B},P1,2.3.3.1,2025-04-01T09:00:00,,240,structure,realise")
    (landing / "needs.csv").write_text(
        "person_id,assessed_on,need_code,level\n"
        "A,2025-01-10,1.1.1,2\nA,2025-01-10,1.1.2,1\n"
        "B,2024-05-01,1.1.1,1\nB,2025-02-01,1.2.1.1,3\n"
        "C,2025-01-15,1.1.10,3\n", encoding="utf-8")
    (landing / "scenarios").mkdir()
    (landing / "scenarios" / "1_all_kinds.yaml").write_text(SCENARIO_1, encoding="utf-8")
    (landing / "scenarios" / "2_derived_all.yml").write_text(SCENARIO_2, encoding="utf-8")
    (landing / "cpom.yaml").write_text(CPOM, encoding="utf-8")
    # the warehouse only (`serafin run --warehouse-only`): the two workbooks the tests read are built below
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    return Warehouse(warehouse)


def cents(x):
    return None if x is None else round(x, 2)


def detail(wh: Warehouse, scenario: str, finess: str, year: int = 2025) -> dict[str, tuple]:
    return {rule: (cents(units), None if tariff is None else round(tariff, 4), cents(amount))
            for rule, units, tariff, amount in wh.rows(
                "select rule, units, tariff, amount from marts.funding_scenario_detail "
                "where scenario = ? and finess_et = ? and year = ? order by rule_no", [scenario, finess, year])}


# the median of 2.3.3.1's cost per hour over the two IME: (26 989.90 + 7 500) / 2
MEDIAN_IME = (53979.7979798 / 2 + 7500) / 2


def test_every_rule_kind_for_the_worked_example(funding):
    assert detail(funding, "s1", A) == {
        "1 base_share": (200000.00, 0.5, 100000.00),           # half the 731 dotation; 734 and 74 are not baseline
        "2 per_place": (40.00, 1000.0, 40000.00),
        "3 per_hour 2.1": (2.00, 100.0, 200.00),               # 2.1.2.1: ev5, ev6, ev7 (45 + 45 + 30 min)
        "4 per_hour 2.3.3.1": (2.00, round(MEDIAN_IME, 4), cents(2 * MEDIAN_IME)),  # ev3 at school
        "5 per_person 2.2": (2.00, 900.0, 1800.00),            # A and B received 2.2.1
        "6 per_night": (365.00, 75.0, 27375.00),               # A, internat all year; B semi-internat: none
        "7 per_presence_day": (5.00, 40.0, 200.00),            # A 2 dates, B 2, C 1 (ev8 is cancelled)
        "8 per_need_level 1.1": (1.00, None, 300.00),          # A level 2; B's latest has no 1.1; C level 3: no amount
    }


def test_scenario_funding_against_the_baseline(funding):
    rows = {f: (cents(b), cents(o), cents(s), cents(d), None if ds is None else round(ds, 6))
            for f, b, o, s, d, ds in funding.rows(
                "select finess_et, baseline_funding, other_products, scenario_funding, delta, delta_share "
                "from marts.funding_scenario where scenario = 's1' and year = 2025")}
    total_a = 100000 + 40000 + 200 + 2 * MEDIAN_IME + 1800 + 27375 + 200 + 300
    assert rows[A] == (200000.00, 8000.00, cents(total_a), cents(total_a - 200000), round((total_a - 200000) / 200000, 6))
    # the second IME has no class 7 product: NULL baseline, base_share pays 0, NULL delta; the shift moved a quarter
    # of its 4 structure hours to school, which the median tariff pays
    total_b = 20 * 1000 + 1 * MEDIAN_IME + 40
    assert rows[B] == (None, 0.00, cents(total_b), None, None)
    assert rows[C] == (None, 0.00, 5000.00, None, None)  # 10 SESSAD places at 500
    assert detail(funding, "s1", B)["4 per_hour 2.3.3.1"] == (1.00, round(MEDIAN_IME, 4), cents(MEDIAN_IME))
    assert detail(funding, "s1", B)["1 base_share"] == (None, 0.5, 0.00)


def test_years_default_to_the_ledger_years_and_derived_tariff_among_all(funding):
    assert funding.rows("select distinct year from marts.funding_scenario where scenario = 's1'") == [(2025,)]
    assert sorted(funding.rows("select distinct year from marts.funding_scenario where scenario = 's2'")) == \
        [(2024,), (2025,)]
    p25 = 7500 + 0.25 * (53979.7979798 / 2 - 7500)  # quantile_cont over A and B, among all
    assert detail(funding, "s2", A)["2 per_hour 2.3.3.1"] == (2.00, round(p25, 4), cents(2 * p25))
    assert detail(funding, "s2", B)["2 per_hour 2.3.3.1"] == (4.00, round(p25, 4), cents(4 * p25))  # no shift in s2
    # 2024: no cost per hour anywhere, the rule pays nothing and says so
    row = funding.rows("select tariff, amount, note from marts.funding_scenario_detail where scenario = 's2' "
                       "and finess_et = ? and year = 2024 and rule_no = 2", [A])[0]
    assert row[0] is None and row[1] == 0 and "ne paie rien" in row[2]
    assert cents(funding.scalar("select scenario_funding from marts.funding_scenario where scenario = 's2' "
                                "and finess_et = ? and year = 2024", [A])) == 171000.00


def test_detail_adds_up_to_the_scenario_funding(funding):
    assert funding.scalar("""
        select count(*) from marts.funding_scenario as f
        left join (select scenario, finess_et, year, sum(amount) as total from marts.funding_scenario_detail
                   group by all) as d using (scenario, finess_et, year)
        where abs(f.scenario_funding - d.total) > 0.005""") == 0
    # every establishment × the scenario's years
    assert funding.scalar("select count(*) from marts.funding_scenario where scenario = 's1'") == 3
    assert funding.scalar("select count(*) from marts.funding_scenario where scenario = 's2'") == 6


def test_sensitivity_of_one_rule(funding):
    total_a = 100000 + 40000 + 200 + 2 * MEDIAN_IME + 1800 + 27375 + 200 + 300
    moved = dict(funding.rows("select direction, scenario_funding from marts.funding_sensitivity where scenario = 's1' "
                              "and finess_et = ? and year = 2025 and rule = '2 per_place'", [A]))
    assert {k: cents(v) for k, v in moved.items()} == {"down": cents(total_a - 4000), "up": cents(total_a + 4000)}
    # base_share moves it most (10 % of 100 000)
    low, high, rule = funding.rows("select funding_low, funding_high, most_sensitive_rule from marts.funding_scenario "
                                   "where scenario = 's1' and finess_et = ? and year = 2025", [A])[0]
    assert (cents(low), cents(high), rule) == (cents(total_a - 10000), cents(total_a + 10000), "1 base_share")
    # s2 has a sensitivity of 20 %
    assert cents(funding.scalar("select scenario_funding from marts.funding_sensitivity where scenario = 's2' "
                                "and finess_et = ? and year = 2024 and rule = '1 base_share' and direction = 'up'",
                                [A])) == 171000.00 * 1.2


def test_per_person_bands(funding):
    bands = {(f, b): p for f, b, p in funding.rows(
        "select finess_et, band, persons from marts.funding_person_bands where scenario = 's1' and year = 2025")}
    # worked example: base_share + per_place (140 000) spread by total cost (A 116 430.30, B 74 258.59,
    # C 52 311.11 of 243 000) plus each person's own units: A 113 053.72 (97 %), B 61 007.19 (82 %) covered,
    # C 30 253.99 (58 %) under-covered; D: 20 000 + 1 h at the median + 1 day = 37 284.95 for 30 000 (124 %)
    assert bands == {(A, "covered"): 2, (A, "under_covered"): 1, (B, "over_covered"): 1}
    funded = funding.scalar("select sum(funding) from marts.funding_person_bands where scenario = 's1' "
                            "and finess_et = ?", [A])
    # everything but the 0.5 h of ev7, which no person attended (50 at 100 an hour), reaches a person
    total_a = 100000 + 40000 + 200 + 2 * MEDIAN_IME + 1800 + 27375 + 200 + 300
    assert cents(funded) == cents(total_a - 50)


def test_scenario_definitions_kept(funding):
    import json

    rows = funding.rows("select scenario, file, rules, shifts, definition from marts.funding_scenarios order by 1")
    assert [r[:4] for r in rows] == [("s1", "1_all_kinds.yaml", 8, 1), ("s2", "2_derived_all.yml", 2, 0)]
    assert json.loads(rows[0][4])["rules"][3]["percentile"] == 50


BAD = [
    ("kind: per_night", "kind: per_nuit", "rules[5]: unknown rule kind 'per_nuit'"),
    ("share: 0.5", "share: 1.5", "rules[0].share: Input should be less than or equal to 1"),
    ('prestation: "2.2"', 'prestation: "2.9.9"', "rules[4].prestation: '2.9.9' is not a SERAFIN-PH code"),
    ('need: "1.1"', 'need: "2.1"', "rules[7].need: '2.1' is a prestation directe code, not a need"),
    ("tariff: 75", "tariff: -75", "rules[5].tariff: Input should be greater than or equal to 0"),
    ("years: [2025]", "years: [2025]\nbudget: 3", "budget: unknown key"),
    ("182: 500", "MECS: 500", "rules[1].amounts.MECS: 'MECS' is not an ESMS category"),
    ("percentile: 50", "percentile: 150", "rules[3].tariff.percentile: Input should be less than or equal to 100"),
    ("to_setting: ecole", "to_setting: village", "shifts[0].to_setting: 'village' is not a setting"),
    ("share: 0.25", "share: -0.25", "shifts[0].share: Input should be greater than or equal to 0"),
    ("name: s1", "name: s2", "name: 's2' is already the name of"),
]


@pytest.mark.parametrize("old, new, message", BAD, ids=[b[2].split(":")[0] for b in BAD])
def test_a_bad_scenario_file_stops_the_run_before_anything_is_built(tmp_path, old, new, message):
    from pipelines.run import execute

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "scenarios").mkdir()
    assert old in SCENARIO_1
    (landing / "scenarios" / "1_all_kinds.yaml").write_text(SCENARIO_1.replace(old, new), encoding="utf-8")
    (landing / "scenarios" / "2_derived_all.yml").write_text(SCENARIO_2, encoding="utf-8")
    outcome = execute(landing, tmp_path / "w.duckdb", tmp_path / "reports")
    assert not outcome.success
    bad = landing / "scenarios" / "1_all_kinds.yaml" if "already" not in message else landing / "scenarios" / "2_derived_all.yml"
    assert outcome.reason.startswith(f"{bad}: "), outcome.reason
    assert message in outcome.reason
    assert not (tmp_path / "w.duckdb").exists()
    assert os.listdir(tmp_path) == ["landing"] or set(os.listdir(tmp_path)) <= {"landing", "w.duckdb.lock"}


def test_serafin_scenario_reruns_one_scenario_on_a_built_warehouse(funding, tmp_path, capsys):
    """A copy of the warehouse: s1 is replaced by a file of the same name with one rule, s2 is kept as it was,
    and nothing is ingested again."""
    from pipelines.cli import main

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(funding.path, warehouse)
    before_s2 = funding.rows("select * from marts.funding_scenario where scenario = 's2' order by finess_et, year")
    log_before = funding.rows("select * from audit.ingestion_log order by 1")
    new = tmp_path / "s1_per_place.yaml"
    new.write_text("name: s1\nrules:\n  - kind: per_place\n    amounts: {IME: 2000}\n", encoding="utf-8")
    assert main(["scenario", str(new), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "Scénario « s1 »" in out and "80,000" in out  # 40 IME places at 2 000
    copy = Warehouse(warehouse)
    rows = {(f, y): cents(s) for f, y, s in copy.rows(
        "select finess_et, year, scenario_funding from marts.funding_scenario where scenario = 's1'")}
    # the new file has no years: every year with a ledger row (2024, 2025)
    assert rows == {(A, 2024): 80000.00, (A, 2025): 80000.00, (B, 2024): 40000.00, (B, 2025): 40000.00,
                    (C, 2024): 0.00, (C, 2025): 0.00}
    assert copy.rows("select * from marts.funding_scenario where scenario = 's2' order by finess_et, year") == before_s2
    assert copy.rows("select * from audit.ingestion_log order by 1") == log_before
    assert copy.scalar("select count(*) from marts.funding_scenario_detail where scenario = 's1'") == 6
    # s1 is the CPOM's target: its trajectory follows the new file (40 IME places at 2 000 in 2025; 2026 half-way
    # from the updated dotation, 204 000, to the target updated by 2 %)
    target = dict(copy.rows("select year, value from marts.cpom_trajectory where level = 'esms' and entity = ? "
                            "and measure = 'target_funding'", [A]))
    assert cents(target[2025]) == 80000.00 and cents(target[2026]) == 81600.00
    assert cents(copy.scalar("select value from marts.cpom_trajectory where level = 'esms' and entity = ? "
                             "and measure = 'funding' and year = 2026", [A])) == 204000 + (81600 - 204000) * 0.5
    # a bad file: one line, the warehouse untouched
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: s4\nrules:\n  - kind: per_hour\n    prestation: '2.9.9'\n    tariff: 10\n", encoding="utf-8")
    assert main(["scenario", str(bad), "--warehouse", str(warehouse)]) == 1
    assert f"{bad}: rules[0].prestation: '2.9.9' is not a SERAFIN-PH code" in capsys.readouterr().err


def _scenario_tables(path: Path) -> dict[str, list[tuple]]:
    """Every table `serafin scenario` writes (the scenario inputs and models, the CPOM trajectory), sorted rows."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        relations = [r[0] for r in con.execute("select relation from audit.scenario_models order by step").fetchall()]
        return {r: sorted(con.execute(f"select * from {r}").fetchall(), key=repr) for r in relations}


def test_the_rerun_without_dbt_gives_the_rows_of_a_dbt_build(funding, tmp_path, capsys):
    """s1 re-run from its own file leaves every scenario table as the run's dbt build made it (the figures the tests
    above derive by hand); s1 changed (two shifts, a derived tariff among all, years by default) gives exactly the
    rows dbt builds for it on a warehouse without the stored SQL."""
    from pipelines.scenario_rerun import rerun

    assert len(_scenario_tables(funding.path)) >= 12
    fast, slow = tmp_path / "fast" / "warehouse.duckdb", tmp_path / "slow" / "warehouse.duckdb"
    for copy in (fast, slow):
        copy.parent.mkdir()
        shutil.copyfile(funding.path, copy)
    same = tmp_path / "1_all_kinds.yaml"  # the run's file name: marts.funding_scenarios keeps it
    same.write_text(SCENARIO_1, encoding="utf-8")
    rerun(same, fast)
    assert _scenario_tables(fast) == _scenario_tables(funding.path)
    assert "built with dbt" not in capsys.readouterr().err
    changed = SCENARIO_1.replace("years: [2025]\n", "").replace("among: category", "among: all").replace(
        "share: 0.25", "share: 0.5\n  - prestation: \"2.3.3\"\n    from_setting: ecole\n    to_setting: cite\n"
                       "    share: 0.2")
    assert changed.count("from_setting") == 2 and "among: all" in changed
    same.write_text(changed, encoding="utf-8")
    rerun(same, fast)
    with duckdb_connect(slow) as con:
        con.execute("drop table audit.scenario_models")
    rerun(same, slow)
    assert "warehouse keeps no compiled scenario models" in capsys.readouterr().err  # the dbt build's notice
    tables = _scenario_tables(fast)
    assert tables != _scenario_tables(funding.path)
    with duckdb_connect(slow) as con:  # the dbt build does not keep its SQL: the same tables read
        assert {r: sorted(con.execute(f"select * from {r}").fetchall(), key=repr) for r in tables} == tables


def test_a_failing_model_leaves_the_warehouse_as_it_was(funding, tmp_path):
    """The last statement fails (cpom_trajectory, s1 being the CPOM's target: every scenario table was rebuilt
    before it): the whole re-run is rolled back, the scenario's inputs included, and the message says so."""
    from pipelines.scenario_rerun import rerun
    from pipelines.warehouse import RunFailed

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(funding.path, warehouse)
    with duckdb_connect(warehouse) as con:
        steps = [r[0] for r in con.execute("select model from audit.scenario_models order by step").fetchall()]
        assert steps[-1] == "cpom_trajectory" and "funding_scenario" in steps
        con.execute("update audit.scenario_models set sql = 'select error(''the model breaks'') as level' "
                    "where model = 'cpom_trajectory'")
    before = _scenario_tables(warehouse)
    new = tmp_path / "s1.yaml"
    new.write_text("name: s1\nrules:\n  - kind: per_place\n    amounts: {IME: 2000}\n", encoding="utf-8")
    with pytest.raises(RunFailed, match=r"left as it was: .*the model breaks"):
        rerun(new, warehouse)
    assert _scenario_tables(warehouse) == before


def duckdb_connect(path: Path):
    import duckdb

    return duckdb.connect(str(path))


def test_cpom_trajectory_of_an_esms(funding):
    rows = {(y, m): (v, st, r) for y, m, v, st, r in funding.rows(
        "select year, measure, value, status, rule from marts.cpom_trajectory where level = 'esms' and entity = ?", [A])}
    # observed 2025 (2024 has products but no charges: not an observed year)
    assert {y for y, _ in rows} == {2025, 2026, 2027, 2028}
    assert [cents(rows[(2025, m)][0]) for m in ("charges_in_scope", "personnel_charges", "other_charges",
                                                "baseline_funding", "places", "file_active", "direct_hours")] == \
        [243000.00, 196000.00, 47000.00, 200000.00, 40.00, 3.00, 6.00]
    assert rows[(2025, "cost_per_place")][0] == 243000 / 40 and rows[(2025, "places")][1] == "observé"
    total_a = 100000 + 40000 + 200 + 2 * MEDIAN_IME + 1800 + 27375 + 200 + 300  # s1 in 2025
    assert cents(rows[(2025, "target_funding")][0]) == cents(total_a)
    # 2026: one year of growth; half-way to the target (convergence over 2 years)
    assert cents(rows[(2026, "personnel_charges")][0]) == 201880.00
    assert rows[(2026, "personnel_charges")][2] == "charges de personnel 2025 × (1 + 3.0 %) ^ 1"
    assert cents(rows[(2026, "charges_in_scope")][0]) == 201880.00 + 47470.00
    assert cents(rows[(2026, "baseline_funding")][0]) == 204000.00
    target_2026 = total_a * 1.02
    assert cents(rows[(2026, "funding")][0]) == cents(204000 + (target_2026 - 204000) * 0.5)
    # the other products (734 and 74: 8 000) are updated like the funding
    assert cents(rows[(2026, "other_products")][0]) == 8160.00
    assert cents(rows[(2026, "result")][0]) == cents(204000 + (target_2026 - 204000) * 0.5 + 8160 - 249350)
    assert cents(rows[(2025, "result")][0]) == 200000.00 + 8000.00 - 243000.00
    # 2027: 10 more places; the activity follows the places
    assert rows[(2027, "places")][0] == 50 and rows[(2026, "places")][0] == 40
    assert (rows[(2027, "file_active")][0], rows[(2027, "direct_hours")][0]) == (3.75, 7.5)
    assert cents(rows[(2027, "cost_per_place")][0]) == cents((196000 * 1.03 ** 2 + 47000 * 1.01 ** 2) / 50)
    # 2028: the target reached, scaled by the places and updated
    assert cents(rows[(2028, "funding")][0]) == cents(total_a * 50 / 40 * 1.02 ** 3)
    assert all(st == "projeté" for (y, _), (_, st, _) in rows.items() if y > 2025)


def test_cpom_trajectory_of_the_gestionnaire(funding):
    rows = {(y, m): v for y, m, v in funding.rows(
        "select year, measure, value from marts.cpom_trajectory where level = 'gestionnaire' and entity = '690000021'")}
    # the two IME with accounts (the SESSAD has none): 243 000 + 30 000 in 2025, 60 places
    assert cents(rows[(2025, "charges_in_scope")]) == 273000.00 and rows[(2025, "places")] == 60
    assert cents(rows[(2025, "cost_per_place")]) == cents(273000 / 60)
    charges_2026 = 196000 * 1.03 + 47000 * 1.01 + 20000 * 1.03 + 10000 * 1.01
    assert cents(rows[(2026, "charges_in_scope")]) == cents(charges_2026)
    assert cents(rows[(2026, "cost_per_place")]) == cents(charges_2026 / 60)


@pytest.mark.parametrize("text, message", [
    ("target_scenario: s9\n", "target_scenario: 's9' is not the name of a scenario"),
    ("personnel_growth: deux\n", "personnel_growth: Input should be a valid number"),
    ("croissance: 0.02\n", "croissance: unknown key"),
    ("places:\n  - {finess_et: '6900', year: 2027, change: 3}\n", "places[0].finess_et: String should match pattern"),
])
def test_a_bad_cpom_file_stops_the_run(tmp_path, text, message):
    from pipelines.run import execute

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "scenarios").mkdir()
    (landing / "scenarios" / "2_derived_all.yml").write_text(SCENARIO_2, encoding="utf-8")
    (landing / "cpom.yaml").write_text(text, encoding="utf-8")
    outcome = execute(landing, tmp_path / "w.duckdb", tmp_path / "reports")
    assert not outcome.success
    assert outcome.reason.startswith(f"{landing / 'cpom.yaml'}: {message}"), outcome.reason
    assert not (tmp_path / "w.duckdb").exists()


# ---------------------------------------------------------------- the simulator workbooks (reports/simulator.py)

def _by_esms_year(rows) -> dict[tuple, tuple]:
    """Synthèse's rows of the ESMS (a FINESS in the first column), by (finess, year)."""
    return {(r[0], r[3]): r[4:8] for r in rows[1:] if isinstance(r[0], str) and r[0].isdigit()}


def _moved(prefix: str, factor: float):
    def change(workbook):
        from tests.recalc import named_cells

        cells = named_cells(workbook, prefix)
        assert cells, prefix
        for cell in cells:
            cell.value = cell.value * factor
    return change


@pytest.fixture(scope="module")
def workbooks(funding, tmp_path_factory) -> Path:
    """The funding warehouse's simulators (`simulateur/`) and CPOM annex, written by the builders the run's report
    step calls (reports/simulator.py, reports/cpom_pack.py), into a reports folder of their own."""
    from reports.cpom_pack import build_cpom_workbook
    from reports.simulator import build_simulators

    reports = tmp_path_factory.mktemp("funding_reports")
    build_simulators(funding.path, reports)
    build_cpom_workbook(funding.path, reports)
    return reports


@pytest.fixture(scope="module")
def recalculated(workbooks, tmp_path_factory) -> dict:
    """The workbooks of the funding run with their formulas alone (no cached value), recalculated by LibreOffice in
    one process: each scenario's simulator as written, with one rule's inputs moved by the scenario's sensitivity
    (s1: +10 % on a share, the amounts per category, a tariff, a derived tariff's coefficient, the amounts per
    level; s2: +20 %) and with an amount for the level s1 leaves unpaid; the CPOM annex as written."""
    from tests.recalc import recalculate, without_values

    work = tmp_path_factory.mktemp("recalc")
    reports = workbooks
    s1, s2 = reports / "simulateur" / "1_all_kinds.xlsx", reports / "simulateur" / "2_derived_all.xlsx"
    copies = {("s1", None): without_values(s1, work / "s1.xlsx"),
              ("s2", None): without_values(s2, work / "s2.xlsx"),
              ("s2", 2): without_values(s2, work / "s2_up2.xlsx", _moved("regle2_", 1.2)),
              ("s1", "level 3"): without_values(s1, work / "s1_level3.xlsx", _level_3_at(500)),
              "cpom": without_values(reports / "cpom_annexe.xlsx", work / "cpom_annexe.xlsx")}
    for n in range(1, 9):
        copies[("s1", n)] = without_values(s1, work / f"s1_up{n}.xlsx", _moved(f"regle{n}_", 1.1))
    done = recalculate(list(copies.values()), work)
    return {key: done[path] for key, path in copies.items()}


def test_the_simulator_recalculates_the_marts_for_every_rule_kind(funding, workbooks, recalculated):
    """Each scenario's workbook recalculated from its formulas: as written, each ESMS-year's funding, delta and
    delta share equal marts.funding_scenario to the cent and each rule's amount its detail row; one rule's inputs
    moved by the sensitivity give marts.funding_sensitivity, for every rule kind; an amount for the level s1 leaves
    unpaid pays the person at that level."""
    import openpyxl

    from tests.recalc import named_cells, values

    book = openpyxl.load_workbook(workbooks / "simulateur" / "1_all_kinds.xlsx")
    # one input per share, tariff, category (the ESMS's categories: IME, SESSAD) and level (1-3), each styled as one
    assert set(book.defined_names) == {
        "regle1_part", "regle2_place_IME", "regle2_place_SESSAD", "regle3_tarif", "regle4_coef", "regle5_tarif",
        "regle6_tarif", "regle7_tarif", "regle8_niveau_1", "regle8_niveau_2", "regle8_niveau_3"}
    assert {c.fill.fgColor.rgb[-6:] for c in named_cells(book, "regle")} == {"FFCC99"}
    assert [c.value for c in named_cells(book, "regle8_")] == [100, 300, 0]  # level 3 is not in the file
    assert book["Synthèse"]["F2"].value.startswith("=SUM(") and book["Calcul"]["K2"].value == "=H2*J2"

    for scenario in ("s1", "s2"):
        got = _by_esms_year(values(recalculated[(scenario, None)], "Synthèse"))
        marts = funding.rows("select finess_et, year, scenario_funding, delta, delta_share from marts.funding_scenario "
                             "where scenario = ?", [scenario])
        assert len(got) == len(marts) == (3 if scenario == "s1" else 6)
        for finess, year, total, delta, share in marts:
            _, funded, moved, ratio = got[(finess, year)]
            assert abs(funded - total) < 0.005, (scenario, finess, year)
            assert (moved == "" or moved is None) if delta is None else abs(moved - delta) < 0.005
            assert (ratio == "" or ratio is None) if share is None else abs(ratio - share) < 1e-9
        amounts: dict[tuple, float] = {}
        for row in values(recalculated[(scenario, None)], "Calcul")[1:]:
            amounts[(row[0], row[3], row[4])] = amounts.get((row[0], row[3], row[4]), 0) + row[10]
        detail = funding.rows("select finess_et, year, rule_no, amount from marts.funding_scenario_detail "
                              "where scenario = ?", [scenario])
        assert len(amounts) == len(detail)
        assert all(abs(amounts[(f, y, n)] - a) < 0.005 for f, y, n, a in detail), scenario

    for key, path in recalculated.items():
        if not isinstance(key, tuple) or not isinstance(key[1], int):
            continue
        scenario, rule = key
        got = _by_esms_year(values(path, "Synthèse"))
        moved = funding.rows("select finess_et, year, scenario_funding from marts.funding_sensitivity "
                             "where scenario = ? and rule_no = ? and direction = 'up'", [scenario, rule])
        assert moved and all(abs(got[(f, y)][1] - s) < 0.005 for f, y, s in moved), (scenario, rule)

    # C (in A's file active) has level 3 on 1.1, which s1 does not pay: 500 for it adds 500 to A only
    got = _by_esms_year(values(recalculated[("s1", "level 3")], "Synthèse"))
    total_a = 100000 + 40000 + 200 + 2 * MEDIAN_IME + 1800 + 27375 + 200 + 300
    assert abs(got[(A, 2025)][1] - (total_a + 500)) < 0.005
    assert abs(got[(B, 2025)][1] - (20 * 1000 + MEDIAN_IME + 40)) < 0.005


def _level_3_at(amount: float):
    def change(workbook):
        from tests.recalc import named_cells

        (cell,) = named_cells(workbook, "regle8_niveau_3")
        cell.value = amount
    return change


def test_the_cpom_annex_has_years_as_columns_and_recomputes_its_totals(funding, recalculated):
    """cpom_annexe.xlsx's Trajectoire recalculated from its formulas: the gestionnaire's figures (sums of its ESMS)
    and each ESMS's charges, result and cost per place equal the figures worked out by hand
    (test_cpom_trajectory_of_*) and marts.cpom_trajectory; the gestionnaire is named, every label French."""
    from tests.recalc import values

    rows = values(recalculated["cpom"], "Trajectoire")
    header = rows[3]
    assert header[:5] == ("Niveau", "FINESS", "Nom", "FINESS EJ du gestionnaire", "Mesure")
    assert header[5:9] == ("2025 (observé)", "2026 (projeté)", "2027 (projeté)", "2028 (projeté)")
    table = {(r[1], r[4]): dict(zip((2025, 2026, 2027, 2028), r[5:9], strict=True)) for r in rows[4:] if r[0]}
    gestionnaire = "690000021"
    # the worked example has no FINESS directory: the gestionnaire is named by its legal entity's number
    assert next(r[2] for r in rows[4:] if r[1] == gestionnaire) == "Entité juridique 690000021"
    assert round(table[(gestionnaire, "Charges dans le champ")][2025], 2) == 273000.00
    charges_2026 = 196000 * 1.03 + 47000 * 1.01 + 20000 * 1.03 + 10000 * 1.01
    assert round(table[(gestionnaire, "Charges dans le champ")][2026], 2) == round(charges_2026, 2)
    assert table[(gestionnaire, "Places autorisées")][2025] == 60
    assert round(table[(gestionnaire, "Coût par place")][2026], 2) == round(charges_2026 / 60, 2)
    assert round(table[(A, "Résultat (financement + autres produits - charges)")][2025], 2) == -35000.00
    # the second IME has no funding: no result, and the gestionnaire's result is the IME A's
    assert table[(B, "Résultat (financement + autres produits - charges)")][2025] in ("", None)
    labels = dict(funding.rows("select distinct measure, measure_label from marts.cpom_trajectory"))
    for level, entity, year, measure, value in funding.rows(
            "select level, entity, year, measure, value from marts.cpom_trajectory"):
        got = table[(entity, labels[measure])][year]
        assert (got in ("", None)) if value is None else abs(got - value) < 0.005, (level, entity, year, measure)
