"""Each rule checked once (issue 34): every column validation checks (rows set aside, or kept with a warning) is one
row rule of nomenclatures/data_quality_checks.csv and every Great Expectations check one suite line, with a
severity; a row
rule's tolerance; and the suites' SQL on a few hand-made rows in DuckDB (no GX, no pipeline run)."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines import data_quality as dq
from pipelines import settings
from pipelines.data_quality import rows as row_rules
from pipelines.data_quality.suites import SUITES

VALIDATION = settings.DBT_PROJECT_DIR / "models" / "validation"


def _validated_columns() -> set[tuple[str, str]]:
    """(table, column) of every check each validation model lists: a helper's first argument (the end of a date
    order, finess_et for the known establishment), or a hand-written check's 'column'."""
    found = set()
    for path in VALIDATION.glob("int_*__checked.sql"):
        table = path.stem[len("int_"):].split("__")[0]
        body = re.search(r"\{% set checks = \[(.*?)\] %\}", path.read_text(encoding="utf-8"), re.S).group(1)
        for match in re.finditer(r"serafin\.check_(\w+)\(([^)]*)\)|\{'column': '(\w+)'", body):
            if match.group(3):
                found.add((table, match.group(3)))
                continue
            args = [a.strip().strip("'") for a in match.group(2).split(",") if a.strip()]
            column = args[1] if match.group(1) == "date_order" else (args[0] if args else "finess_et")
            found.add((table, column))
    return found


def _warned_columns() -> set[tuple[str, str]]:
    """(table, column) of every kind of row audit.data_warnings lists: each select's first and fourth values, and
    the person id of each table of its loop over the tables naming persons."""
    text = (settings.DBT_PROJECT_DIR / "models" / "audit" / "data_warnings.sql").read_text(encoding="utf-8")
    found = set(re.findall(r"select\s+'(\w+)'(?: as source_table)?, [\w.]+(?: as file)?, cast\([^)]*\)(?: as line)?, "
                           r"'(\w+)'", text))
    people = re.search(r"set person_tables = \[(.*?)\] %", text, re.S).group(1)
    return found | {(t, "person_id") for t in re.findall(r"\['(\w+)', '[^']*', '[^']*'\]", people)}


def test_each_validated_column_is_one_row_rule_of_the_setting_file():
    lines = dq.settings()
    for kind, columns in (("validation", _validated_columns()), ("warning", _warned_columns())):
        rules = [(r["table_name"], r["column_name"]) for r in lines if r["kind"] == kind]
        assert len(rules) == len(set(rules)), kind
        assert set(rules) == columns, kind
    assert len(_validated_columns()) > 70 and len(_warned_columns()) > 12


def test_each_suite_check_is_one_line_of_the_setting_file():
    lines = {r["check_id"]: r for r in dq.settings()}
    assert len(lines) == len(dq.settings())  # ids unique
    suites = {check_id: suite.table for suite in SUITES for check_id, _ in suite.checks}
    assert {k for k, r in lines.items() if r["kind"] == "suite"} == set(suites)
    assert all(lines[k]["table_name"] == table for k, table in suites.items())
    for line in lines.values():
        assert line["severity"] in ("error", "warn") and line["label"] and line["note"], line["check_id"]
        assert 0 <= float(line["max_failing_share"] or 0) <= 1, line["check_id"]
        # a check's id is a Dagster asset check name
        assert re.fullmatch(r"[a-z0-9_]+", line["check_id"]), line["check_id"]
    # no suite re-checks a row: no duration, code or date range among the suites' conditions
    text = " ".join(query for suite in SUITES for _, query in suite.checks)
    assert "1440" not in text and "prestation_code not in" not in text


@pytest.mark.parametrize(("failing", "validated", "share", "passes"),
                         [(0, 10, 0, True), (1, 10, 0, False), (5, 10, 0.5, True), (6, 10, 0.5, False)])
def test_a_row_rule_passes_within_its_share_of_the_validated_rows(failing, validated, share, passes):
    assert row_rules.passes(failing, validated, share) is passes


def _suite(name: str):
    return next(s for s in SUITES if s.name == name)


def _failing(con, name: str) -> dict[str, list[tuple]]:
    """The suite's aggregate made, then each of its checks' failing units (GX runs the same SQL on {batch})."""
    suite = _suite(name)
    con.execute(f"create or replace temp table {name} as {suite.aggregate}")
    return {check_id: sorted(con.execute(query.replace("{batch}", name)).fetchall()) for check_id, query in suite.checks}


def test_the_landing_months_flag_a_missing_month_and_one_three_times_the_median():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.activity (finess_et varchar, started_at varchar)")
    # ESMS 690000013 (its FINESS once with spaces around: read as the others): 10 rows in January,
    # February and May 2025, none in March, 31 in April; dates as the landing writes them, ISO or French
    rows = ([("690000013", f"2025-01-{d:02d}T09:00:00") for d in range(1, 11)]
            + [("690000013", f"{d:02d}/02/2025 09:00") for d in range(1, 11)]
            + [("690000013", f"2025-04-{1 + d % 28:02d} 10:00") for d in range(31)]
            + [("690000013", f"{d:02d}/05/2025 14:30") for d in range(1, 10)] + [(" 690000013 ", "20/05/2025 14:30")]
            + [("690000021", "2025-03-03T08:00:00")] * 4 + [("690000013", "not a date")])
    con.executemany("insert into raw.activity values (?, ?)", rows)
    failing = _failing(con, "dq_landing_months")["landing_activity_monthly_rows"]
    # months with rows 10, 10, 31, 10: median 10; March at 0 is under a fifth of it, April's 31 above three times
    assert failing == [("690000013", "2025-03", 0, 10.0), ("690000013", "2025-04", 31, 10.0)]
    # the units: 690000013's five months from January to May, 690000021's one month
    assert con.execute("select count(*) from dq_landing_months").fetchone()[0] == 6


def test_the_esms_years_sum_up_duration_direct_share_stays_staff_and_ledger():
    con = duckdb.connect()
    for schema in ("core",):
        con.execute(f"create schema {schema}")
    con.execute("create table core.activity (finess_et varchar, person_id varchar, prestation_code varchar, "
                "started_at timestamp, duration_min decimal(18, 4), status varchar)")
    con.executemany("insert into core.activity values (?, ?, ?, ?, ?, ?)", [
        ("690000013", "p1", "2.1.1.1", "2025-03-01 09:00", 30, "realise"),
        ("690000013", "p1", "2.1.1.1", "2025-03-02 09:00", 60, "realise"),
        ("690000013", "p2", "2.2.1.1", "2025-03-03 09:00", 90, "realise"),
        ("690000013", None, "3.1.1.1", "2025-03-04 09:00", 60, "realise"),
        ("690000013", "p2", "2.2.1.1", "2025-03-05 09:00", 600, "annule"),  # not realised: not counted
        ("690000013", "p1", "2.1.1.1", "2024-12-31 09:00", 3, "realise"),  # 2024: a year of its own
    ])
    con.execute("create table core.stays (person_id varchar, finess_et varchar, start_date date, end_date date)")
    # p1's stay covers 2024 and 2025; p2's ended in 2024: p2 has no stay in 2025
    con.executemany("insert into core.stays values (?, ?, ?, ?)", [
        ("p1", "690000013", "2024-01-01", None), ("p2", "690000013", "2023-01-01", "2024-06-30")])
    con.execute("create table core.staff (finess_et varchar, year integer)")
    con.executemany("insert into core.staff values (?, ?)", [("690000013", 2025), ("690000013", 2025)])
    con.execute("create table core.ledger (finess_et varchar, year integer)")
    con.execute("insert into core.ledger values ('690000013', 2024)")
    failing = _failing(con, "dq_activity_years")
    years = con.execute("select year, rows_, mean_duration, direct_share, persons, persons_without_stay, "
                        "staff_lines, ledger_lines from dq_activity_years order by year").fetchall()
    # 2025: 4 realised rows of 30 + 60 + 90 + 60 = 240 minutes, 3 of them direct (2.x), persons p1 and p2
    assert [tuple(float(v) for v in y) for y in years] == [(2024, 1, 3, 1, 1, 0, 0, 1), (2025, 4, 60, 0.75, 2, 1, 2, 0)]
    assert failing["activity_mean_duration"] == [("690000013", 2024, 1, 3.0)]  # 3 minutes: under 10
    assert failing["activity_direct_share"] == []
    assert failing["activity_esms_has_staff"] == [("690000013", 2024, 1)]
    assert failing["activity_esms_has_ledger"] == [("690000013", 2025, 4)]
    assert failing["activity_persons_have_stay"] == [("690000013", 2025, 2, 1)]
