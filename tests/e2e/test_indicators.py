"""The indicator catalogue (indicators.md) and needs coverage (issue 11) on a small landing folder written here,
every expected figure worked out by hand below, per scope: E1 = 690000013 (IME, 10 places × 200 days),
E2 = 690000021 (SESSAD, 5 places × 100 days), and platform; one year, 2025.

Persons and stays
    A: E1 internat from 2025-01-01, open (365 nights);  E2 ambulatoire 2025-02-01 → 2025-02-28
    B: E1 semi_internat 2025-03-01 → 2025-06-30
    C: E2 ambulatoire from 2024-09-01, open
    D: no stay (activity at E2 only: not in any file active)
File active: E1 {A, B} = 2, E2 {A, C} = 2, platform {A, B, C} = 3.

Realised activity (e7 is cancelled; e6 is indirect and has no person)
    E1  e1 A  P1 2.2.1    01-10  60 min structure
        e2 A+B P1 2.3.3.1 03-10 120 min ecole (one collective pair)
        e3 B  P2 2.4.1    04-25  30 min structure
        e4 B  P1 2.2.1    06-20  60 min domicile, partner PART1
        e5 A  P1 2.2.1    09-15  60 min (no setting)
        e6 -  P2 3.1.4.2  04-01  60 min
        e8 A  P1 2.2.1    12-20  30 min structure, outside the plan
        e9 B  P1 2.2.1    09-10  30 min domicile (after B's stay ended)
    E2  f1 C  P3 2.1.2.1  01-15  45 min domicile
        f2 C  P3 2.1.2.1  06-15  45 min ecole
        f3 A  P3 2.3.3.1  02-10  60 min cite
        f4 D  P3 2.2.1    03-01  30 min structure
"""

from __future__ import annotations

import pytest

from tests.conftest import Warehouse, run_pipeline

E1, E2 = "690000013", "690000021"

FILES = {
    "establishments.csv": "finess_et,name,category,authorized_places,days_open\n"
                          f"{E1},IME Les Tilleuls,IME,10,200\n{E2},SESSAD Les Ormes,SESSAD,5,100\n",
    "persons.csv": "person_id,birth_year,sex\nA,2012,M\nB,2010,F\nC,2015,M\nD,2014,F\n",
    "stays.csv": "stay_id,person_id,finess_et,start_date,end_date,modality\n"
                 f"s1,A,{E1},2025-01-01,,internat\n"
                 f"s2,B,{E1},2025-03-01,2025-06-30,semi_internat\n"
                 f"s3,C,{E2},2024-09-01,,ambulatoire\n"
                 f"s4,A,{E2},2025-02-01,2025-02-28,ambulatoire\n",
    "partners.csv": "partner_id,name,kind\nPART1,Collège Jean Moulin,education\n",
    "activity.csv": "event_id,person_id,finess_et,professional_id,prestation_code,start,duration_min,setting,"
                    "partner_id,status,outside_plan\n"
                    f"e1,A,{E1},P1,2.2.1,2025-01-10T09:00:00,60,structure,,realise,0\n"
                    f"e2,A,{E1},P1,2.3.3.1,2025-03-10T10:00:00,120,ecole,,realise,0\n"
                    f"e2,B,{E1},P1,2.3.3.1,2025-03-10T10:00:00,120,ecole,,realise,0\n"
                    f"e3,B,{E1},P2,2.4.1,2025-04-25T09:00:00,30,structure,,realise,0\n"
                    f"e4,B,{E1},P1,2.2.1,2025-06-20T09:00:00,60,domicile,PART1,realise,0\n"
                    f"e5,A,{E1},P1,2.2.1,2025-09-15T09:00:00,60,,,realise,0\n"
                    f"e6,,{E1},P2,3.1.4.2,2025-04-01T14:00:00,60,structure,,realise,0\n"
                    f"e7,A,{E1},P1,2.2.1,2025-10-01T09:00:00,45,structure,,annule,0\n"
                    f"e8,A,{E1},P1,2.2.1,2025-12-20T09:00:00,30,structure,,realise,1\n"
                    f"e9,B,{E1},P1,2.2.1,2025-09-10T09:00:00,30,domicile,,realise,0\n"
                    f"f1,C,{E2},P3,2.1.2.1,2025-01-15T09:00:00,45,domicile,,realise,0\n"
                    f"f2,C,{E2},P3,2.1.2.1,2025-06-15T09:00:00,45,ecole,,realise,0\n"
                    f"f3,A,{E2},P3,2.3.3.1,2025-02-10T09:00:00,60,cite,,realise,0\n"
                    f"f4,D,{E2},P3,2.2.1,2025-03-01T09:00:00,30,structure,,realise,0\n",
    # A: an older assessment (superseded), the 2025 one, and one dated after the year (not used for 2025)
    "needs.csv": "person_id,assessed_on,need_code,level\n"
                 "A,2024-12-01,1.2.1.1,1\nA,2024-12-01,1.3.1.1,2\n"
                 "A,2025-01-05,1.2.1.1,3\nA,2025-01-05,1.3.3.1,1\nA,2025-01-05,1.1.1,0\n"
                 "A,2026-01-10,1.3.5.1,3\n"
                 "C,2025-03-01,1.1.1,1\nC,2025-03-01,1.3.3.1,\n"
                 "D,2025-01-01,1.2.1.1,2\n",
    "plans.csv": "plan_id,person_id,finess_et,partner_id,prestation_code,start_date,end_date,co_built,signed_on,"
                 "reviewed_on\n"
                 f"pA1,A,{E1},,2.2.1,2024-01-15,,oui,2024-01-15,2025-03-01\n"
                 f"pB1,B,{E1},,2.2.1,2024-06-01,2025-06-30,non,2024-07-05,\n"
                 f"pC1,C,{E2},,2.1.2.1,2024-09-01,,oui,2024-09-10,2024-12-20\n"
                 f"pA2,A,{E2},,2.3.3.1,2025-02-01,2025-02-28,non,2025-02-03,\n"
                 "pP,C,,PART1,2.3.3.1,2025-01-01,,oui,2025-04-01,\n",
    "staff.csv": "professional_id,finess_et,year,profession,fte,annual_cost\n"
                 f"P1,{E1},2025,educateur_specialise,0.5,6000\nP2,{E1},2025,psychologue,0.2,4000\n",
    # E1 only: E2 has activity in 2025 but no ledger, so its cost indicators have a zero denominator
    # the cooperation: E1 and the partner PART1 (so C's partner-only plan counts at its scope)
    "cooperation.yaml": f"""name: Plateforme de test
finality: Vivre en milieu ordinaire sans rupture.
members:
  - finess_et: "{E1}"
    role: porteur
partners: [PART1]
strategic_objectives:
  - {{id: S1, label: Droit commun, objectives: [O1, O2]}}
  - {{id: S2, label: Parcours, objectives: [O3]}}
objectives:
  - {{id: O1, label: Milieu ordinaire, indicator: inclusion_share, scope: platform, direction: increase,
      targets: {{2025: 0.60, 2026: 0.70}}}}
  - {{id: O2, label: Co-construction, indicator: co_built_rate, scope: platform, direction: increase,
      targets: {{2025: 0.70}}, tolerance: 0.10}}
  - {{id: O3, label: Ruptures, indicator: rupture_rate, scope: "{E1}", direction: decrease, targets: {{2025: 0.30}}}}
  - {{id: O4, label: Coût par place, indicator: cost_per_place, scope: platform, direction: decrease,
      targets: {{2025: 1200}}}}
""",
    "ledger.csv": "finess_et,year,account,label,amount,section\n"
                  f"{E1},2025,6411,Salaires,10000,\n{E1},2025,6023,Alimentation,1000,\n"
                  f"{E1},2025,6064,Fournitures administratives,500,\n",
}

# (scope, indicator) -> (numerator, denominator, value); value None when the denominator is 0
EXPECTED = {
    # persons of the file active
    (E1, "file_active"): (2, 1, 2), (E2, "file_active"): (2, 1, 2), ("platform", "file_active"): (3, 1, 3),
    # E1: A 365 nights + B 4 presence days (03-10, 04-25, 06-20, 09-10) over 10 × 200;
    # E2: presence days A 1, C 2, D 1 (no nights) over 5 × 100; platform: A's nights win over her presence
    (E1, "occupancy_rate"): (369, 2000, 369 / 2000), (E2, "occupancy_rate"): (4, 500, 4 / 500),
    ("platform", "occupancy_rate"): (372, 2500, 372 / 2500),
    # direct hours, each pair once: E1 e1 1 + e2 2 + e3 .5 + e4 1 + e5 1 + e8 .5 + e9 .5 = 6.5, setting known
    # on 5.5, inclusive (ecole, domicile) e2 + e4 + e9 = 3.5; E2 .75 + .75 + 1 + .5 = 3, inclusive 2.5
    (E1, "inclusion_share"): (3.5, 5.5, 3.5 / 5.5), (E2, "inclusion_share"): (2.5, 3, 2.5 / 3),
    ("platform", "inclusion_share"): (6, 8.5, 6 / 8.5),
    (E1, "partner_share"): (1, 6.5, 1 / 6.5), (E2, "partner_share"): (0, 3, 0.0),
    ("platform", "partner_share"): (1, 9.5, 1 / 9.5),
    # needs of level >= 1 in the latest assessment on or before 2025-12-31 (A: 1.2.1.1 → 2.2.1 and 1.3.3.1
    # → 2.3.3.1; C: 1.1.1 → 2.1, covering 2.1.2.1, and 1.3.3.1 with an empty level, i.e. 1); D is not in a
    # file active. E1: A both covered (e1, e2). E2: A only 1.3.3.1 (f3), C only 1.1.1 (f1, f2).
    (E1, "needs_coverage_rate"): (2, 2, 1.0), (E2, "needs_coverage_rate"): (2, 4, 0.5),
    ("platform", "needs_coverage_rate"): (3, 4, 0.75),
    # E1: A reviewed 2025-03-01; B signed 2024-07-05, inside the 365 days ending on her exit 2025-06-30.
    # E2: C reviewed 2024-12-20 (too old); A signed 2025-02-03, her E2 stay ended 2025-02-28.
    # platform: C's partner-only plan signed 2025-04-01 counts.
    (E1, "pp_review_rate"): (2, 2, 1.0), (E2, "pp_review_rate"): (1, 2, 0.5),
    ("platform", "pp_review_rate"): (3, 3, 1.0),
    (E1, "co_built_rate"): (1, 2, 0.5), (E2, "co_built_rate"): (1, 2, 0.5),
    ("platform", "co_built_rate"): (2, 3, 2 / 3),
    # two providers: B at E1 (E1 and PART1) who received 2.4.1; at E2 nobody has two: 0 / 0;
    # platform: A (E1 and E2, no 2.4.1) and B
    (E1, "coordination_rate"): (1, 1, 1.0), (E2, "coordination_rate"): (0, 0, None),
    ("platform", "coordination_rate"): (1, 2, 0.5),
    # A at E1: 03-10 → 09-15 is 189 days inside her open stay; B: 06-20 → 09-10 is 82 days but her stay
    # ended 06-30, and her other gaps are 46 and 56 days; C at E2: 01-15 → 06-15 is 151 days in her stay;
    # D has no stay (not in the file active)
    (E1, "rupture_rate"): (1, 2, 0.5), (E2, "rupture_rate"): (1, 2, 0.5),
    ("platform", "rupture_rate"): (2, 3, 2 / 3),
    # realised events: E1 e1 e2 e3 e4 e5 e6 e8 e9 (e8 outside the plan), E2 f1 to f4
    (E1, "outside_plan_share"): (1, 8, 0.125), (E2, "outside_plan_share"): (0, 4, 0.0),
    ("platform", "outside_plan_share"): (1, 12, 1 / 12),
    # E1: charges in scope 10,000 + 1,000 + 500, all allocated (A and B both have direct hours and presence
    # days); direct sections: P1's 6,000 (all his time on 2.x) + P2's 4,000 × 30 / 90 on 2.4.1
    (E1, "cost_per_person"): (11500, 2, 5750.0), (E2, "cost_per_person"): (0, 0, None),
    ("platform", "cost_per_person"): (11500, 2, 5750.0),
    (E1, "cost_per_place"): (11500, 10, 1150.0), (E2, "cost_per_place"): (0, 0, None),
    ("platform", "cost_per_place"): (11500, 10, 1150.0),
    (E1, "direct_cost_share"): (6000 + 4000 / 3, 11500, (6000 + 4000 / 3) / 11500),
    (E2, "direct_cost_share"): (0, 0, None),
    ("platform", "direct_cost_share"): (6000 + 4000 / 3, 11500, (6000 + 4000 / 3) / 11500),
}


@pytest.fixture(scope="session")
def quality(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("quality")
    landing = work / "landing"
    landing.mkdir()
    for name, text in FILES.items():
        (landing / name).write_text(text, encoding="utf-8")
    # the warehouse only (`serafin run --warehouse-only`): the two pages read below are built by the test
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    wh = Warehouse(warehouse)
    assert wh.scalar("select count(*) from audit.rejected_rows") == 0, wh.rows("select * from audit.rejected_rows")
    return wh


def test_every_indicator_of_every_scope_by_hand(quality):
    rows = quality.rows("select scope, indicator_id, numerator, denominator, value from marts.indicators "
                        "where year = 2025 and scope <> 'cooperation'")
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert set(got) == set(EXPECTED)
    for key, (numerator, denominator, value) in EXPECTED.items():
        n, d, v = got[key]
        assert n == pytest.approx(numerator, abs=1e-6), key
        assert d == pytest.approx(denominator, abs=1e-6), key
        if value is None:
            assert v is None, key
        else:
            assert v == pytest.approx(value, rel=1e-9), key
    assert quality.rows("select distinct year from marts.indicators") == [(2025,)]


def test_indicators_carry_their_theme_and_axis(quality):
    tags = {r[0]: (r[1], r[2]) for r in quality.rows(
        "select distinct indicator_id, has_theme, anap_axis from marts.indicators")}
    assert tags["inclusion_share"] == ("inclusion", "activity")
    assert tags["cost_per_place"] == ("efficiency", "finance")
    assert tags["pp_review_rate"] == ("personalisation and co-construction", None)
    assert tags["rupture_rate"][0] == "continuity of the parcours"


def test_needs_coverage_rows(quality):
    import os

    from pipelines.ingestion.pseudonym import pseudonymise
    key = os.environ["SERAFIN_PSEUDONYM_KEY"].encode()
    a, c = pseudonymise(key, "A"), pseudonymise(key, "C")
    rows = {(r[0], r[1]): r[2:] for r in quality.rows(
        "select person_id, need_code, level, covered, hours, providers from marts.needs_coverage where year = 2025")}
    assert rows == {
        (a, "1.1.1"): (0, False, 0.0, None),                    # level 0: not a need, nothing aligned
        (a, "1.2.1.1"): (3, True, 2.5, E1),                     # e1 1 h + e5 1 h + e8 0.5 h (e7 cancelled)
        (a, "1.3.3.1"): (1, True, 3.0, f"{E1}, {E2}"),          # e2 2 h (full duration) + f3 1 h
        (c, "1.1.1"): (1, True, 1.5, E2),                       # 2.1 covers 2.1.2.1: f1 + f2
        (c, "1.3.3.1"): (1, False, 0.0, None),                  # an empty level is 1
    }


def test_small_cells_never_reach_a_board(quality):
    # every figure here counts fewer than 5 persons
    rows = quality.rows("select distinct value, numerator, denominator, shown from marts.indicators_board")
    assert rows == [("< 5", "< 5", "< 5", False)]


def test_the_cooperation_scope_is_its_members(quality):
    """scope cooperation = E1's rows, and PART1's partner-only plan (pP, C, co-built, active in 2025)."""
    got = {r[0]: r[1:] for r in quality.rows(
        "select indicator_id, numerator, denominator from marts.indicators where scope = 'cooperation'")}
    assert got["inclusion_share"] == (3.5, 5.5)          # as E1
    assert got["file_active"] == (2, 1)                  # A, B
    assert got["co_built_rate"] == (2, 3)                # A (pA1), C (pP); B's pB1 is not co-built


def test_objectives_and_their_status(quality):
    rows = {(r[0], r[1]): r[2:] for r in quality.rows(
        "select objective_id, year, strategic_objective, scope, target, actual, gap, status from marts.objectives")}
    assert set(rows) == {("O1", 2025), ("O1", 2026), ("O2", 2025), ("O3", 2025), ("O4", 2025)}
    strategic, scope, target, actual, gap, status = rows[("O1", 2025)]
    assert (strategic, scope, target, status) == ("S1", "platform", 0.60, "met")
    assert actual == pytest.approx(3.5 / 5.5) and gap == pytest.approx(3.5 / 5.5 - 0.60)
    assert rows[("O1", 2026)][2:] == (0.70, None, None, "no_data")    # a target year with no data
    # 2/3 against 0.70: not met, 4.8 % away, within the 10 % tolerance
    assert rows[("O2", 2025)][3] == pytest.approx(2 / 3) and rows[("O2", 2025)][5] == "on_track"
    # E1's rupture rate 0.5 against at most 0.30: 67 % away
    assert rows[("O3", 2025)][1:] == (E1, 0.30, 0.5, pytest.approx(0.2), "off_track")
    assert rows[("O4", 2025)][0] is None and rows[("O4", 2025)][3:] == (1150.0, -50.0, "met")


def _pid(name: str) -> str:
    import os

    from pipelines.ingestion.pseudonym import pseudonymise

    return pseudonymise(os.environ["SERAFIN_PSEUDONYM_KEY"].encode(), name)


def test_follow_up_lists(quality):
    import datetime as dt

    a, b, c = _pid("A"), _pid("B"), _pid("C")
    assert set(quality.rows("select finess_et, person_id, need_code from marts.followup_uncovered_needs")) == {
        (E2, a, "1.2.1.1"), (E2, c, "1.3.3.1")}                      # nothing on 2.2.1 for A at E2; no 2.3.3.1 for C
    # C at E2: last reviewed 2024-12-20, 376 days before 2025-12-31; A and B were reviewed in their window
    assert quality.rows("select finess_et, person_id, last_review, days_since from marts.followup_plans_not_reviewed") == [
        (E2, c, dt.date(2024, 12, 20), 376)]
    # A at E1: 189 days then 96 days (09-15 → 12-20) in her open stay; C at E2: 151 days; B's 82 days run past
    # the end of her stay
    assert set(quality.rows("select finess_et, person_id, gap_from, gap_to, days from marts.followup_ruptures")) == {
        (E1, a, dt.date(2025, 3, 10), dt.date(2025, 9, 15), 189), (E1, a, dt.date(2025, 9, 15), dt.date(2025, 12, 20), 96),
        (E2, c, dt.date(2025, 1, 15), dt.date(2025, 6, 15), 151)}
    assert b not in {r[0] for r in quality.rows("select person_id from marts.followup_ruptures")}


def test_parcours(quality):
    rows = {r[0]: r[1:] for r in quality.rows(
        "select person_id, supporters, supported_by, stays, modalities, direct_hours, ordinary_setting_hours, "
        "partner_hours, needs_covered, needs_uncovered, longest_gap_days, esms_costed from marts.parcours "
        "where year = 2025")}
    # A: E1 and E2; e1 1 + e2 2 + e5 1 + e8 .5 + f3 1 hours, ordinary e2 (ecole) + f3 (cite); longest gap 189
    assert rows[_pid("A")] == (2, f"{E1}, {E2}", 2, "ambulatoire, internat", 5.5, 3.0, 0.0, 2, 0, 189, 1)
    # B: E1 and PART1 (e4); e2 2 + e3 .5 + e4 1 + e9 .5, ordinary e2 + e4 + e9, partner e4; gaps in her stay 46, 56
    assert rows[_pid("B")] == (2, f"{E1}, PART1", 1, "semi_internat", 4.0, 3.5, 1.0, 0, 0, 56, 1)
    # D: no stay, f4 at E2 (no ledger: not costed)
    assert rows[_pid("D")] == (1, E2, 0, None, 0.5, 0.0, 0.0, 0, 0, None, 0)
    assert quality.scalar(f"select total_cost > 0 from marts.parcours where person_id = '{_pid('A')}'")


def test_tableau_de_bord(quality):
    got = {(r[0], r[1], r[2]): r[3:] for r in quality.rows(
        "select scope, figure, breakdown, numerator, denominator, value from marts.tableau_de_bord where year = 2025")}
    # places: E1 10, E2 5; staff at E1 only: P1 educatif 0.5 FTE, P2 soin 0.2 FTE
    assert got[(E1, "staffing_ratio", "educatif")] == (0.5, 10, 0.05)
    assert got[(E1, "staffing_ratio", "soin")] == (0.2, 10, 0.02)
    assert got[(E2, "staffing_ratio", "all")] == (0, 5, 0.0)
    assert got[("platform", "staffing_ratio", "all")][:2] == (0.7, 15)
    # stays starting in 2025: E1 s1, s2; E2 s4; ending: E1 s2 (122 days, 03-01 → 06-30), E2 s4 (28 days)
    assert got[(E1, "admissions_per_place", "all")] == (2, 10, 0.2)
    assert got[(E2, "exits_per_place", "all")] == (1, 5, 0.2)
    assert got[(E1, "average_length_of_ended_stays", "all")] == (122, 1, 122.0)
    assert got[("platform", "average_length_of_ended_stays", "all")] == (150, 2, 75.0)
    # file active by age in 2025: A 13 and B 15 (12-15), C 10 (6-11); no disability given
    assert got[("platform", "age_structure", "12-15")][:2] == (2, 3)
    assert got[(E2, "age_structure", "6-11")] == (1, 2, 0.5)
    assert got[("platform", "disability_structure", "unknown")] == (3, 3, 1.0)


def test_needs_coverage_by_domain(quality):
    """The coverage of each need domain (level-3 codes): A's 1.2.1.1 (under 1.2.1) and 1.3.3.1 (under 1.3.3), C's
    1.1.1 and 1.3.3.1; at E2 only A's 1.3.3.1 (f3) and C's 1.1.1 (f1, f2) are covered. Each scope adds up to its
    needs_coverage_rate (platform 3 / 4, E1 2 / 2, E2 2 / 4)."""
    rows = {(r[0], r[1]): r[2:] for r in quality.rows(
        "select scope, domain_code, family_code, needs, covered, persons, shown from marts.needs_coverage_by_domain "
        "where year = 2025")}
    assert rows == {
        ("platform", "1.1.1"): ("1.1", 1, 1, 1, False), ("platform", "1.2.1"): ("1.2", 1, 1, 1, False),
        ("platform", "1.3.3"): ("1.3", 2, 1, 2, False),
        (E1, "1.2.1"): ("1.2", 1, 1, 1, False), (E1, "1.3.3"): ("1.3", 1, 1, 1, False),
        (E2, "1.1.1"): ("1.1", 1, 1, 1, False), (E2, "1.2.1"): ("1.2", 1, 0, 1, False),
        (E2, "1.3.3"): ("1.3", 2, 1, 2, False),
        ("cooperation", "1.2.1"): ("1.2", 1, 1, 1, False), ("cooperation", "1.3.3"): ("1.3", 1, 1, 1, False),
    }


def test_the_board_sees_no_small_cell_of_the_cooperation(quality):
    """Two persons at E1, one with the partner: every contribution and the objectives' actuals are withheld, the
    statuses say no_data; the targets stay."""
    contributions = quality.rows("select contributor_id, contributor_kind, direct_hours, persons, shown "
                                 "from marts.cooperation_contributions where year = 2025 order by 1")
    assert contributions == [(E1, "membre", None, None, False), ("PART1", "partenaire", None, None, False)]
    board = {r[0]: r[1:] for r in quality.rows(
        "select objective_id, target, actual, gap, status, shown from marts.objectives_board where year = 2025")}
    # O1 inclusion_share counts 2 persons; O4 cost_per_place is not about persons but counts the 2 costed ones
    assert board["O1"] == (0.60, None, None, "no_data", False)
    assert all(v[3] == "no_data" for v in board.values())
    frame = quality.rows("select item_kind, item_id, label, detail from marts.cooperation_frame order by 1, 2")
    assert ("cooperation", "Plateforme de test", "Plateforme de test", "Vivre en milieu ordinaire sans rupture.") \
        in frame
    assert ("membre", E1, "IME Les Tilleuls", "porteur") in frame
    assert ("partenaire", "PART1", "Collège Jean Moulin", "education") in frame
    assert ("objectif_strategique", "S2", "Parcours", None) in frame


def test_contributions_by_hand_with_small_cells_allowed(quality, tmp_path, monkeypatch):
    """The same models rebuilt on a copy of the warehouse with var small_cell_k = 1, figures by hand. E1 delivers
    e1 1 h, e2 2 h (school), e3 0.5 h, e5 1 h (no setting), e8 0.5 h, e9 0.5 h (home): 5.5 h, 2.5 h ordinary
    out of 4.5 h with a setting; PART1 delivers e4, 1 h at home; the cooperation 6.5 h."""
    import shutil

    from pipelines.dbt_build import VAR_ENV, environment
    from pipelines.defs.dbt import landing_config
    from tests.conftest import run_dbt

    copy = tmp_path / "warehouse.duckdb"  # views name their catalog after the file
    shutil.copy(quality.path, copy)
    # the landing's configuration and the setting as a run and an operator give them: environment variables, so that
    # dbt keeps the runs' parse (macros/run_options.sql)
    for name, value in environment({"warehouse": str(copy), **landing_config(quality.path.parent / "landing")}).items():
        if name.startswith(VAR_ENV) and value is not None:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv(VAR_ENV + "SMALL_CELL_K", "1")
    ok, _ = run_dbt(copy, ["run", "--select", "cooperation_contributions objectives_board"], tmp_path)
    assert ok
    rows = {r[0]: r[1:] for r in Warehouse(copy).rows(
        "select contributor_id, direct_hours, ordinary_setting_hours, ordinary_share, share_of_hours, persons, shown "
        "from marts.cooperation_contributions where year = 2025")}
    assert rows[E1] == pytest.approx((5.5, 2.5, 2.5 / 4.5, 5.5 / 6.5, 2, True))
    assert rows["PART1"] == pytest.approx((1.0, 1.0, 1.0, 1 / 6.5, 1, True))
    # together they make the cooperation's inclusion_share, 3.5 / 5.5
    o1 = Warehouse(copy).rows("select actual, status from marts.objectives_board where objective_id = 'O1' "
                              "and year = 2025")[0]
    assert o1[0] == pytest.approx(3.5 / 5.5) and o1[1] == "met"  # 0.636 ≥ 0.60


def test_the_steering_and_quality_pages_show_small_cells(quality, tmp_path):
    """Every figure of this folder counts fewer than 5 persons: the board pages show "< 5" and no figure. The pages
    are written by the builders the run's report step calls."""
    import re

    from reports.pilotage import build_pilotage_page
    from reports.quality import build_quality_page

    pilotage = build_pilotage_page(quality.path, tmp_path).read_text(encoding="utf-8")
    assert "Plateforme de test" in pilotage and "Vivre en milieu ordinaire sans rupture." in pilotage
    rows = re.findall(r"<tr>(.*?)</tr>", pilotage)
    member = next(r for r in rows if f"<td>{E1}</td><td>IME Les Tilleuls</td>" in r and "Membre" in r)
    assert member.count("&lt; 5") == 5           # hours, ordinary hours, both shares, persons
    o1 = next(r for r in rows if r.startswith("<td>O1</td>") and "<td>2025</td>" in r)
    assert "&lt; 5" in o1 and "Pas de donnée" in o1 and "60,0\u202f%" in o1      # the target stays, in %
    quality_page = build_quality_page(quality.path, tmp_path).read_text(encoding="utf-8")
    assert "&lt; 5" in quality_page and "Besoins couverts" in quality_page
    assert not re.search(r"restreint/", quality_page)
