"""cost-method.md, "Worked example": every expected figure, to the cent, through the real pipeline."""

import pytest

from tests.conftest import WORKED_EXAMPLE

ESMS = "690000013"


def cents(x):
    return round(x, 2)


def test_reconciliation(worked_example):
    row = worked_example.rows(
        "select charges_total, charges_excluded, charges_hors_champ, charges_in_scope, personnel_ledger, staff_cost, "
        "personnel_gap, allocated_to_persons, unallocated, delta from marts.cost_reconciliation "
        "where finess_et = ? and year = 2025", [ESMS])
    assert [cents(v) for v in row[0]] == [251000.00, 8000.00, 0.00, 243000.00, 196000.00, 198000.00, -2000.00,
                                         243000.00, 0.00, 0.00]


@pytest.mark.parametrize("section, expected", [
    ("2.1.2.1", 29696.97), ("2.2.1", 19006.06), ("2.3.3.1", 19006.06), ("3.1.1.1", 89090.91),
    ("3.1.4.2", 9503.03), ("3.2.1", 24000.00), ("3.2.2.1", 41696.97), ("3.2.4.1", 9000.00),
])
def test_section_costs(worked_example, section, expected):
    assert cents(worked_example.scalar(
        "select cost from marts.section_cost where finess_et = ? and year = 2025 and section = ?",
        [ESMS, section])) == expected


def test_supplies_go_to_an_overhead_section_and_overhead_total(worked_example):
    # 6063 fournitures 2 000: to 3.1 or any overhead section; O_total is 124 593.94 either way
    assert cents(worked_example.scalar(
        "select sum(cost) from marts.section_cost where year = 2025 and section_kind = 'overhead'")) == 124593.94
    assert worked_example.scalar(
        "select section from intermediate.int_charges_classified where account = '6063'") in ("3.1", "3.2.1.5")


@pytest.mark.parametrize("code, full_cost, hours", [
    ("2.1.2.1", 84343.43, 2.0), ("2.2.1", 53979.80, 2.0), ("2.3.3.1", 53979.80, 2.0)])
def test_full_cost_per_prestation(worked_example, code, full_cost, hours):
    row = worked_example.rows(
        "select full_cost, professional_hours, cost_per_hour from marts.cost_per_prestation "
        "where finess_et = ? and year = 2025 and prestation_code = ?", [ESMS, code])[0]
    assert cents(row[0]) == full_cost
    assert row[1] == hours
    assert abs(row[2] * hours - row[0]) < 1e-6


def test_person_costs(worked_example):
    import os

    from pipelines.ingestion.pseudonym import pseudonymise

    key = os.environ["SERAFIN_PSEUDONYM_KEY"].encode()
    expected = {"A": (96151.52, 20278.79, 116430.30), "B": (53979.80, 20278.79, 74258.59),
                "C": (42171.72, 10139.39, 52311.11)}
    for person, figures in expected.items():
        row = worked_example.rows(
            "select direct_cost, logistics_cost, total_cost from marts.person_cost where person_id = ?",
            [pseudonymise(key, person)])
        assert [cents(v) for v in row[0]] == list(figures), person


def test_nothing_unallocated_and_cancelled_event_ignored(worked_example):
    assert worked_example.scalar("select count(*) from marts.unallocated_cost") == 0
    # ev8 (annule) is loaded but carries no hours: 2.1.2.1 has 45 + 45 + 30 minutes, not 165
    assert worked_example.scalar("select count(*) from core.activity where status = 'annule'") == 1


def test_every_input_row_loaded(worked_example):
    rows = worked_example.rows("select file, rows_read, rows_loaded, rows_rejected from audit.ingestion_log")
    assert {r[0] for r in rows} == {p.name for p in WORKED_EXAMPLE.glob("*.csv")}
    assert all(r[1] == r[2] and r[3] == 0 for r in rows)


def test_cost_parameters_recorded(worked_example):
    assert worked_example.scalar(
        "select value_ from marts.cost_parameters where parameter = 'method'") == "cost-method v1"
    assert worked_example.scalar(
        "select value_ from marts.cost_parameters where parameter = 'account_section' and key_ = '6242'") == "3.2.4.1"


# cost-method.md step 11: (full cost, staff cost) of each action; ev4 is on 3.1.4.2 (no full cost)
ACTIONS = {("ev1", "E1"): (26989.90, 9503.03), ("ev2", "E1"): (26989.90, 9503.03),
           ("ev3", "E1"): (53979.80, 19006.06), ("ev4", "E1"): (None, 9503.03),
           ("ev5", "E2"): (31628.79, 11136.36), ("ev6", "E2"): (31628.79, 11136.36),
           ("ev7", "E2"): (21085.86, 7424.24)}


def professional(local):
    """A professional's pseudonym computed here with hmac: `S` + the first 20 hex digits of HMAC-SHA256(key, id)."""
    import hashlib
    import hmac
    import os

    key = os.environ["SERAFIN_PSEUDONYM_KEY"].strip().encode()
    return "S" + hmac.new(key, local.encode(), hashlib.sha256).hexdigest()[:20]


def test_action_costs(worked_example):
    rows = worked_example.rows(
        "select event_id, professional_id, full_cost, staff_cost from marts.action_cost where finess_et = ? "
        "and year = 2025", [ESMS])
    got = {(e, p): (None if f is None else cents(f), cents(s)) for e, p, f, s in rows}
    # the professional ids are pseudonymised (the activity file's and the staff file's E1 and E2 still meet)
    assert got == {(e, professional(p)): v for (e, p), v in ACTIONS.items()}  # ev8 (annule) is not an action
    assert not any(p in {"E1", "E2"} for _, p, _, _ in rows)
    persons = dict(worked_example.rows("select event_id, persons from marts.action_cost"))
    assert persons == {"ev1": 1, "ev2": 1, "ev3": 2, "ev4": 0, "ev5": 1, "ev6": 1, "ev7": 0}
    # ev3 is collective: 53 979.80 / 2 persons
    assert cents(worked_example.scalar("select cost_per_person from marts.action_cost where event_id = 'ev3'")) \
        == 26989.90
    # the staff cost of the actions and of the professionals with no time (D1 90 000 and C1 30 000, scaled by
    # 1 + G/S = 196 / 198) add up to the personnel charges of the ledger, 196 000
    no_time = (90000 + 30000) * 196000 / 198000
    assert cents(worked_example.scalar("select sum(staff_cost) from marts.action_cost") + no_time) == 196000.00


def test_person_action_shares(worked_example):
    import os

    from pipelines.ingestion.pseudonym import pseudonymise

    key = os.environ["SERAFIN_PSEUDONYM_KEY"].encode()
    a, b, c = (pseudonymise(key, p) for p in "ABC")
    rows = worked_example.rows("select person_id, event_id, hours, cost from marts.person_action_cost")
    got = {(p, e): (h, cents(x)) for p, e, h, x in rows}
    # k(2.1.2.1) = 2.0 h / 1.5 h: A's share of ev5 and C's share of ev6 are 31 628.79 × 4/3 = 42 171.72
    assert got == {(a, "ev1"): (1.0, 26989.90), (b, "ev2"): (1.0, 26989.90), (a, "ev3"): (1.0, 26989.90),
                   (b, "ev3"): (1.0, 26989.90), (a, "ev5"): (0.75, 42171.72), (c, "ev6"): (0.75, 42171.72)}
    # the shares add up to the direct costs of step 8: A 96 151.52, B 53 979.80, C 42 171.72
    sums = dict(worked_example.rows("select person_id, sum(cost) from marts.person_action_cost group by 1"))
    assert {p: cents(v) for p, v in sums.items()} == {a: 96151.52, b: 53979.80, c: 42171.72}


def test_contract_tables_of_foundation_and_costs(worked_example):
    from tests.contract import shortfalls

    assert shortfalls(worked_example.path, [
        "marts.cost_per_prestation", "marts.person_cost", "marts.cost_reconciliation", "marts.unallocated_cost",
        "marts.action_cost", "marts.person_action_cost", "marts.traceability",
        "core.establishments", "core.persons", "core.stays", "core.needs", "core.plans", "core.activity",
        "core.staff", "core.ledger", "core.partners", "core.conventions", "ref.serafin_codes", "ref.code_aliases",
        "audit.rejected_rows", "audit.unmapped_events", "audit.ingestion_log"]) == []


def test_official_codes(worked_example):
    counts = dict(worked_example.rows("select kind, count(*) from ref.serafin_codes group by kind"))
    assert counts == {"besoin": 35, "prestation_directe": 37, "prestation_indirecte": 35}


def test_the_path_from_the_accounts_to_the_persons(worked_example):
    """marts.cost_flow from the doc's figures: 251,000 of charges, 8,000 excluded, 243,000 in scope; direct
    sections 29,696.97 + 19,006.06 + 19,006.06, overhead 124,593.94 (3.1, 3.1.1.1, 3.1.4.2, 3.2.1), logistics
    41,696.97 + 9,000 (3.2.2.1, 3.2.4.1); all of it reaches A, B and C."""
    flows = {(r[0], r[1]): r[2] for r in worked_example.rows(
        "select source, target, amount from marts.cost_flow where finess_et = ? and year = 2025", [ESMS])}
    direct = 29696.97 + 19006.06 + 19006.06
    logistics = 41696.97 + 9000.00
    expected = {
        ("Charges de classe 6", "Charges exclues"): 8000.00,
        ("Charges de classe 6", "Hors champ"): 0.00,
        ("Charges de classe 6", "Charges retenues"): 243000.00,
        ("Charges retenues", "Prestations directes (2.x)"): direct,
        ("Charges retenues", "Fonctions support (3.x)"): 124593.94,
        ("Charges retenues", "Logistique rattachée aux personnes (3.2)"): logistics,
        ("Fonctions support (3.x)", "Prestations directes (2.x)"): 124593.94,
        ("Fonctions support (3.x)", "Non affecté"): 0.00,
        # the three prestations' full costs, 84,343.43 + 53,979.80 + 53,979.80
        ("Prestations directes (2.x)", "Personnes accompagnées"): 84343.43 + 53979.80 + 53979.80,
        ("Prestations directes (2.x)", "Non affecté"): 0.00,
        # A 20,278.79 + B 20,278.79 + C 10,139.39
        ("Logistique rattachée aux personnes (3.2)", "Personnes accompagnées"): 20278.79 * 2 + 10139.39,
        ("Logistique rattachée aux personnes (3.2)", "Non affecté"): 0.00,
    }
    assert set(flows) == set(expected)
    for key, amount in expected.items():
        assert flows[key] == pytest.approx(amount, abs=0.02), key


def test_the_actions_by_profession_and_setting(worked_example):
    """marts.action_cost_summary: E1 (educateur_specialise) ev1 + ev2 on 2.2.1 in the structure, ev3 on 2.3.3.1 at
    school; E2 (orthophoniste) on 2.1.2.1, ev5 + ev7 in the structure and ev6 at home; ev4 (3.1.4.2) has no full
    cost, ev8 is cancelled. Action figures from the doc's step 11."""
    rows = {(r[0], r[1], r[2]): r[3:] for r in worked_example.rows(
        "select prestation_code, profession, setting, actions, hours, full_cost, staff_cost, cost_per_action, "
        "rank_in_prestation, profession_label, setting_label from marts.action_cost_summary "
        "where finess_et = ? and year = 2025", [ESMS])}
    assert set(rows) == {("2.1.2.1", "orthophoniste", "structure"), ("2.1.2.1", "orthophoniste", "domicile"),
                         ("2.2.1", "educateur_specialise", "structure"), ("2.3.3.1", "educateur_specialise", "ecole")}
    structure = rows[("2.1.2.1", "orthophoniste", "structure")]   # ev5 45 min + ev7 30 min
    assert structure[:2] == (2, pytest.approx(1.25))
    assert structure[2] == pytest.approx(31628.79 + 21085.86, abs=0.02)
    assert structure[3] == pytest.approx(11136.36 + 7424.24, abs=0.02)
    assert structure[4] == pytest.approx((31628.79 + 21085.86) / 2, abs=0.01) and structure[5] == 1
    home = rows[("2.1.2.1", "orthophoniste", "domicile")]         # ev6
    assert home[:2] == (1, pytest.approx(0.75)) and home[2] == pytest.approx(31628.79, abs=0.01)
    assert home[5] == 2 and home[7] == "Au domicile"
    educ = rows[("2.2.1", "educateur_specialise", "structure")]
    assert educ[:2] == (2, pytest.approx(2.0)) and educ[2] == pytest.approx(26989.90 * 2, abs=0.02)
    assert educ[3] == pytest.approx(9503.03 * 2, abs=0.02) and educ[6] == "Éducateur spécialisé"
    assert rows[("2.3.3.1", "educateur_specialise", "ecole")][2] == pytest.approx(53979.80, abs=0.01)


def test_the_distribution_of_the_cost_per_person(worked_example):
    """marts.cost_person_distribution, IME 2025: three persons, 52,311.11, 74,258.59 and 116,430.30; continuous
    percentiles interpolate between them (p25 at position 0.5, p90 at 1.8)."""
    row = worked_example.rows("select persons, mean_cost, min_cost, p25, p50, p90, max_cost "
                              "from marts.cost_person_distribution where category = 'IME' and year = 2025")[0]
    low, mid, high = 52311.11, 74258.59, 116430.30
    assert row[0] == 3
    assert row[1] == pytest.approx(243000.00 / 3, abs=0.01)
    assert row[2] == pytest.approx(low, abs=0.01) and row[6] == pytest.approx(high, abs=0.01)
    assert row[3] == pytest.approx(low + 0.5 * (mid - low), abs=0.01)
    assert row[4] == pytest.approx(mid, abs=0.01)
    assert row[5] == pytest.approx(mid + 0.8 * (high - mid), abs=0.01)


# cost-method.md step 12 (E1 1.0 FTE, E2 0.5 FTE, 1 607 h a year): paid hours, estimated hours, cost per estimated
# hour, traceability. Figures from the doc's worked example.
@pytest.mark.parametrize("local, paid, recorded", [("E1", 1607.0, 5.0), ("E2", 803.5, 2.0)])
def test_paid_and_recorded_hours(worked_example, local, paid, recorded):
    row = worked_example.rows("select paid_hours, recorded_hours from intermediate.int_professional_hours "
                              "where finess_et = ? and year = 2025 and professional_id = ?", [ESMS, professional(local)])
    assert row == [(pytest.approx(paid), pytest.approx(recorded))]


@pytest.mark.parametrize("code, estimated", [("2.2.1", 642.8), ("2.3.3.1", 642.8), ("3.1.4.2", 321.4),
                                             ("2.1.2.1", 803.5)])
def test_estimated_hours(worked_example, code, estimated):
    assert round(worked_example.scalar(
        "select estimated_hours from intermediate.int_estimated_hours where finess_et = ? and year = 2025 "
        "and prestation_code = ?", [ESMS, code]), 2) == estimated


@pytest.mark.parametrize("code, estimated, per_estimated_hour", [
    ("2.1.2.1", 803.5, 104.97), ("2.2.1", 642.8, 83.98), ("2.3.3.1", 642.8, 83.98)])
def test_cost_per_estimated_hour(worked_example, code, estimated, per_estimated_hour):
    hours, estimated_hours, per_hour = worked_example.rows(
        "select professional_hours, estimated_hours, cost_per_estimated_hour from marts.cost_per_prestation "
        "where finess_et = ? and year = 2025 and prestation_code = ?", [ESMS, code])[0]
    assert hours == 2.0 and round(estimated_hours, 2) == estimated
    assert round(per_hour, 2) == per_estimated_hour


def test_traceability_of_the_esms(worked_example):
    """τ = 7 / 2 410.5 = 0.29 %, flagged under 0.5; D1 and C1 (90 000 + 30 000 of 198 000) record no time."""
    row = worked_example.rows(
        "select paid_hours, recorded_hours, traceability, staff_cost, untraced_staff_cost, flagged, professionals, "
        "untraced_professionals from marts.traceability where finess_et = ? and year = 2025 and profession is null",
        [ESMS])
    assert len(row) == 1
    paid, recorded, tau, staff_cost, untraced, flagged, professionals, untraced_professionals = row[0]
    assert paid == pytest.approx(2410.5) and recorded == pytest.approx(7.0)
    assert tau == pytest.approx(7 / 2410.5) and round(100 * tau, 2) == 0.29 and flagged is True
    assert (round(staff_cost, 2), round(untraced, 2)) == (198000.00, 120000.00)
    assert (professionals, untraced_professionals) == (2, 2)


def test_traceability_per_profession(worked_example):
    rows = {r[0]: r[1:] for r in worked_example.rows(
        "select profession, paid_hours, recorded_hours, traceability, untraced_staff_cost, flagged "
        "from marts.traceability where finess_et = ? and year = 2025 and profession is not null", [ESMS])}
    assert set(rows) == {"educateur_specialise", "orthophoniste", "directeur", "cuisinier"}
    assert rows["educateur_specialise"][:3] == (pytest.approx(1607.0), pytest.approx(5.0), pytest.approx(5 / 1607))
    assert rows["orthophoniste"][:3] == (pytest.approx(803.5), pytest.approx(2.0), pytest.approx(2 / 803.5))
    # the directeur and the cuisinier record no time: not in τ, their cost is untraced, nothing to flag
    assert rows["directeur"] == (0.0, 0.0, None, 90000.0, False)
    assert rows["cuisinier"] == (0.0, 0.0, None, 30000.0, False)
    assert worked_example.scalar("select value_ from marts.cost_parameters where parameter = 'annual_hours_per_fte'") \
        == "1607.0"
