"""Data quality (issues 16 and 34): on the demo, the Great Expectations suites pass and each row rule counts what
validation set aside; on a copy of the demo warehouse, a realistic fault planted per suite check (a landing file
that never landed, an export cut short, durations in hours, staff in cents...) fails that check alone, with the
units counted by hand, and a row rule beyond its tolerance fails the run; donnees.html; and a privacy scan of a
whole run: every table, every Parquet row file, every report and every log line searched for NIR-shaped strings,
INS, clear person ids and names of the landing files, and the pseudonymisation key."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from pipelines import data_quality as dq
from tests.privacy import Secrets, distinct_values, warehouse_texts


def test_the_nir_search_finds_a_nir_and_only_one():
    # 1 85 05 75 123 456 + key 97 - (1850575123456 mod 97): what the scan must catch, in any text
    nir = "1850575123456" + f"{97 - 1850575123456 % 97:02d}"
    assert nir_in(f"person {nir};") == nir and nir == "185057512345673"
    assert nir_in("x 185057512345670 y") is None  # a wrong key: not a NIR
    assert nir_in("amount 1520887145604 and 0.152088714560412") is None


def test_on_the_demo_no_suite_fails_and_each_row_rule_counts_what_validation_set_aside(demo):
    rows = demo.rows("select check_id, severity, success, element_count, unexpected_count, expectation "
                     "from audit.data_quality")
    assert {r[0] for r in rows} == {c.check_id for c in dq.catalogue()}
    assert set(dq.severities()) == {c.check_id for c in dq.catalogue()}
    # every Great Expectations suite passes on the demo
    assert [r for r in rows if r[5] != dq.VALIDATION and not r[2]] == []
    # each row rule counts the rows validation set aside for its table and column, out of the rows it validated;
    # the demo's few messy rows (one each) pass the `error` rules, within their tolerance, and warn on the others
    rejected = {("validation", t, c): n for t, c, n in demo.rows(
        "select source_table, column_name, count(*) from audit.rejected_rows group by all")}
    rejected |= {("warning", t, c): n for t, c, n in demo.rows(
        "select source_table, column_name, count(*) from audit.data_warnings group by all")}
    validated = demo.scalar("select count(*) from validation.int_activity__checked")
    by_id = {r[0]: r for r in rows}
    for line in dq.settings():
        if line["kind"] != "suite":
            failing = rejected.get((line["kind"], line["table_name"], line["column_name"]), 0)
            assert by_id[line["check_id"]][4] == failing, line["check_id"]
            assert by_id[line["check_id"]][2] == (failing == 0 or line["severity"] == "error"), line["check_id"]
    assert by_id["activity_duration_min"][3:5] == (validated, rejected[("validation", "activity", "duration_min")])
    assert [r for r in rows if r[1] == "error" and not r[2]] == []
    assert {r[1] for r in rows} == {"error", "warn"}


def test_the_data_quality_page_shows_each_check(demo):
    text = (demo.path.parent / "reports" / "donnees.html").read_text(encoding="utf-8")
    for check in dq.catalogue():
        assert f"<td>{check.check_id}</td>" in text
    assert "Règles de ligne (validation)" in text and "Contrôles d'ensemble (Great Expectations)" in text
    assert 'href="donnees.html"' in (demo.path.parent / "reports" / "index.html").read_text(encoding="utf-8")
    assert "greatexpectations" not in text and "cdn" not in text


# the demo's six ESMS, each with activity, staff, ledger lines and stays in 2024 and 2025
ESMS = ["690166137", "690308242", "691590830", "691860910", "693909962", "696281948"]

PERCENT_FTE = """
update validation.int_staff__checked
set reject_column = 'fte', reject_value = cast(fte * 100 as varchar),
    reject_reason = 'fte ''' || cast(fte * 100 as varchar) || ''' must be between 0 and 10'
where reject_reason is null
"""


@pytest.fixture(scope="module")
def planted(demo, tmp_path_factory) -> tuple[Path, int]:
    """A copy of the demo warehouse with one realistic fault per suite check, each on its own ESMS and year, planted
    where it would arrive (never by replacing a view):
    - the landing file of July 2024 never landed (forgotten by the ingestion's own bookkeeping, raw views rebuilt);
    - the validated activity of ESMS 4 lost its realised rows of June 2025 (an export cut short);
    - ESMS 2's 2025 durations came in hours (1.5 for 90 minutes: valid rows, an implausible mean);
    - ESMS 6's 2024 actions all mapped to the indirect prestation 3.1.1.1 by its software;
    - no staff lines for ESMS 5 in 2025, no ledger lines for ESMS 3 in 2024;
    - the stays of three persons with activity in ESMS 1 from 2025 on missing from the stays export;
    - no needs assessment for any person with a stay in ESMS 4;
    - ESMS 5's 2024 staff cost in cents (a hundred times the ledger's personnel charges);
    - a staff export with FTE in percent: validation set aside every staff line (rule staff_fte, `error` beyond
      half of the lines).
    Returns the copy and its count of staff lines."""
    from pipelines.ingestion.store import forget, refresh_views

    copy = tmp_path_factory.mktemp("planted") / "warehouse.duckdb"
    shutil.copy(demo.path, copy)
    checked = "validation.int_activity__checked"
    with duckdb.connect(str(copy)) as con:
        forget(con, demo.path.parent / "warehouse.raw", "activity/activite_2024-07.csv")
        refresh_views(con, demo.path.parent / "warehouse.raw")
        con.execute(f"delete from {checked} where finess_et = ? and status = 'realise' "
                    "and strftime(started_at, '%Y-%m') = '2025-06'", [ESMS[3]])
        con.execute(f"update {checked} set duration_min = round(duration_min / 60, 2) "
                    "where finess_et = ? and year(started_at) = 2025", [ESMS[1]])
        con.execute(f"update {checked} set prestation_code = '3.1.1.1' "
                    "where finess_et = ? and year(started_at) = 2024", [ESMS[5]])
        con.execute("delete from core.staff where finess_et = ? and year = 2025", [ESMS[4]])
        con.execute("delete from core.ledger where finess_et = ? and year = 2024", [ESMS[2]])
        persons = [r[0] for r in con.execute(
            "select person_id from core.activity where finess_et = ? and status = 'realise' and person_id is not null "
            "group by 1 having min(year(started_at)) = 2025 order by 1 limit 3", [ESMS[0]]).fetchall()]
        assert len(persons) == 3
        con.execute("delete from core.stays where list_contains(?, person_id)", [persons])
        con.execute("delete from core.needs where person_id in (select person_id from core.stays where finess_et = ?)",
                    [ESMS[3]])
        con.execute("update marts.cost_reconciliation set staff_cost = staff_cost * 100 "
                    "where finess_et = ? and year = 2024", [ESMS[4]])
        con.execute(PERCENT_FTE)
        con.execute("""insert into audit.rejected_rows (source_table, file, line, column_name, value, reason)
                       select 'staff', _file, _line, reject_column, reject_value, reject_reason
                       from validation.int_staff__checked where reject_column = 'fte'""")
        staff_lines = con.execute("select count(*) from validation.int_staff__checked").fetchone()[0]
    return copy, staff_lines


@pytest.fixture(scope="module")
def planted_outcomes(planted, tmp_path_factory) -> dict:
    return {o.check.check_id: o for o in dq.run(planted[0], tmp_path_factory.mktemp("gx") / "gx")}


def _units(outcome) -> list[tuple]:
    return sorted((r["finess_et"], r.get("year") or r.get("month")) for r in outcome.sample)


def test_each_suite_check_fails_on_its_planted_fault_only(planted_outcomes):
    o = planted_outcomes
    # July 2024 missing from the landing: the six ESMS at 0 rows that month, of 6 x 24 ESMS-months plus the one
    # month of the demo's row naming an unknown ESMS (690999999, February 2024)
    landing = o["landing_activity_monthly_rows"]
    assert (landing.element_count, landing.unexpected_count) == (6 * 24 + 1, 6)
    assert _units(landing) == [(e, "2024-07") for e in ESMS] and {r["landing_rows"] for r in landing.sample} == {"0"}
    # June 2025 of ESMS 4 at 0 against the three months before; the months compared: 6 ESMS x (24 - 3)
    volume = o["activity_monthly_volume"]
    assert (volume.element_count, volume.unexpected_count) == (6 * 21, 1)
    assert _units(volume) == [(ESMS[3], "2025-06")] and volume.sample[0]["activity_rows"] == "0"
    # one ESMS-year each, of the 6 x 2 ESMS-years of activity
    for check_id, unit in [("activity_mean_duration", (ESMS[1], "2025")), ("activity_direct_share", (ESMS[5], "2024")),
                           ("activity_esms_has_staff", (ESMS[4], "2025")),
                           ("activity_esms_has_ledger", (ESMS[2], "2024")),
                           ("activity_persons_have_stay", (ESMS[0], "2025")),
                           ("ledger_staff_cost_magnitude", (ESMS[4], "2024"))]:
        assert (o[check_id].element_count, o[check_id].unexpected_count) == (12, 1), check_id
        assert _units(o[check_id]) == [unit], check_id
        assert o[check_id].severity == "warn" and not o[check_id].success
    assert float(o["activity_mean_duration"].sample[0]["mean_duration_min"]) < 10
    assert float(o["activity_direct_share"].sample[0]["direct_share"]) == 0
    assert o["activity_persons_have_stay"].sample[0]["persons_without_stay"] == "3"
    assert "person_id" not in str(o["activity_persons_have_stay"].sample)
    # both years of ESMS 4 with no person assessed
    needs = o["needs_assessed_share"]
    assert _units(needs) == [(ESMS[3], "2024"), (ESMS[3], "2025")] and {r["assessed"] for r in needs.sample} == {"0"}
    suites = {c.check_id for c in dq.checks()}
    assert sorted(k for k, v in o.items() if not v.success and k in suites) == sorted(
        suites - {"ledger_personnel_share", "staff_hours_per_fte"})


def test_a_row_rule_beyond_its_tolerance_fails_as_an_error(planted, planted_outcomes):
    fte = planted_outcomes["staff_fte"]
    lines = planted[1]
    assert (fte.severity, fte.success, fte.element_count, fte.unexpected_count) == ("error", False, lines, lines)
    assert fte.sample[0]["reason"].endswith("must be between 0 and 10") and "file" in fte.sample[0]
    # the other rules of the staff table set nothing aside
    assert planted_outcomes["staff_annual_cost"].success and planted_outcomes["staff_annual_cost"].unexpected_count == 0


def test_a_failing_error_check_fails_the_asset_and_names_itself(planted, tmp_path):
    import dagster as dg

    from pipelines.defs.quality import data_quality
    from pipelines.defs.resources import SerafinPaths

    paths = SerafinPaths(landing=str(tmp_path), warehouse=str(planted[0]), raw=str(tmp_path / "raw"),
                         work=str(tmp_path / "work"), reports=str(tmp_path / "reports"))
    result = dg.materialize([data_quality], resources={"paths": paths}, raise_on_error=False)
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["staff_fte"].passed is False
    assert checks["staff_fte"].severity == dg.AssetCheckSeverity.ERROR
    assert checks["activity_monthly_volume"].severity == dg.AssetCheckSeverity.WARN
    assert checks["activity_monthly_volume"].passed is False
    assert checks["staff_annual_cost"].passed is True
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "staff_fte" in failure.step_failure_data.error.message


NIR_CANDIDATE = re.compile(r"(?<![0-9.])([12][0-9]{2}(?:0[1-9]|1[0-2])(?:[0-9]{2}|2A|2B)[0-9]{6})([0-9]{2})(?![0-9])")


def nir_in(text: str) -> str | None:
    """A NIR with its key (15 characters whose last two are 97 - the first 13 mod 97; Corsica's 2A/2B read as 19/18):
    a technical number of 13 or 15 digits does not pass the key, a NIR does."""
    for match in NIR_CANDIDATE.finditer(text):
        body = match.group(1).replace("2A", "19").replace("2B", "18")
        if 97 - int(body) % 97 == int(match.group(2)):
            return match.group(0)
    return None


def _scan_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(v) for s in workbook.worksheets for row in s.iter_rows(values_only=True)
                         for v in row if v is not None)
    if path.suffix == ".parquet":
        with duckdb.connect() as con:
            return distinct_values(con, f"read_parquet('{path}')")
    return path.read_text(encoding="utf-8", errors="replace")


def test_privacy_scan_of_a_whole_run(demo):
    """The demo run (its persons file carries names and dates of birth, its FHIR Patients names too) with every
    log line kept (tests/conftest.py): nothing outside the landing folder may hold a clear person id, a name, a
    NIR-shaped string, an INS or the key: not a table, a Parquet row file, a report, a workbook or a log line."""
    work = demo.path.parent
    landing = work / "landing"
    key = os.environ["SERAFIN_PSEUDONYM_KEY"]
    with (landing / "persons.csv").open(encoding="cp1252") as handle:
        persons = list(csv.reader(handle, delimiter=";"))[1:]
    secrets = {p[0] for p in persons} | {p[1] for p in persons} | {p[2] for p in persons}
    for entry in json.loads((landing / "fhir" / "referentiel.json").read_text(encoding="utf-8"))["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            secrets |= {i["value"] for i in resource["identifier"]}
            secrets |= {n.get("family") for n in resource.get("name", [])} | {
                g for n in resource.get("name", []) for g in n.get("given", [])}
    # the monthly DSN: each employee's names and street (S21.G00.30; the NIR is found by nir_in, a birth date
    # JJMMAAAA is too short a string to look for among hashes, a street without its number), and the matricule, a
    # professional's id, found only pseudonymised after a run
    identity = {"S21.G00.30.002", "S21.G00.30.004", "S21.G00.30.008"}
    matricules = set()
    for path in (landing / "dsn").rglob("*.dsn"):
        for line in path.read_bytes().decode("latin-1").splitlines():
            field, _, value = line.partition(",")
            value = value.strip("'")
            if field == "S21.G00.30.008":
                value = value.split(" ", 1)[-1]
            if field in identity:
                secrets |= {value, value.encode("latin-1").decode("utf-8", errors="ignore")}
            elif field == "S21.G00.30.019":
                matricules.add(value)
    assert len(matricules) > 100 and all(m.isdigit() for m in matricules)
    secrets = {s for s in secrets if s and len(s) >= 4}
    assert len(secrets) > 500
    log = work / "run.log"
    assert log.stat().st_size > 10_000 and "fhir/referentiel.json" in log.read_text(encoding="utf-8")
    files = [p for p in work.rglob("*") if p.is_file() and landing not in p.parents
             and p.suffix in (".html", ".xlsx", ".parquet", ".log", ".json", ".csv", ".txt")]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".xlsx" for p in files)
    texts = warehouse_texts(demo.path)
    assert len(texts) > 100
    texts |= {str(p): _scan_text(p) for p in files}
    names = Secrets(secrets)
    planted = min(secrets)
    assert names.first(f"...;{planted}\n") is not None  # the scan finds a secret inside a longer text
    numbers = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?![0-9A-Za-z])")  # a matricule stands alone, not inside a hash
    for where, text in texts.items():
        clear = set(numbers.findall(text)) & matricules
        assert not clear, (where, sorted(clear)[:3])
        assert key not in text, where
        assert nir_in(text) is None, (where, nir_in(text))
        found = names.first(text)
        assert found is None, (where, found)


def _stored_texts(folder) -> dict[str, str]:
    """Every text the instance keeps: each SQLite database's values (JSON unescaped, so that a name with accents is
    found as written) and every other file (compute logs)."""
    texts = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix != ".db":
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
            continue
        values = []
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            for (table,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
                for row in con.execute(f'select * from "{table}"'):
                    for value in row:
                        if isinstance(value, bytes):
                            value = value.decode("utf-8", "replace")
                        if isinstance(value, str) and value[:1] in "{[":
                            try:
                                value = json.dumps(json.loads(value), ensure_ascii=False)
                            except ValueError:
                                pass
                        values.append(str(value))
        texts[str(path)] = "\n".join(values)
    return texts


def test_the_instance_holds_no_key_no_person_id_no_name(demo):
    """The demo run's instance (its persons file has names; its event log every step, materialization and check):
    no pseudonymisation key, no clear person id, no name."""
    work = demo.path.parent
    folder = work / "warehouse.dagster"
    with (work / "landing" / "persons.csv").open(encoding="cp1252") as handle:
        persons = list(csv.reader(handle, delimiter=";"))[1:]
    secrets = {value for p in persons for value in p[:3]}  # id, last name, first name
    for entry in json.loads((work / "landing" / "fhir" / "referentiel.json").read_text(encoding="utf-8"))["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":  # identifiers (INS among them) and names
            secrets |= {i["value"] for i in resource["identifier"]}
            secrets |= {n.get("family") for n in resource.get("name", [])}
            secrets |= {g for n in resource.get("name", []) for g in n.get("given", [])}
    secrets = {s for s in secrets if s and len(s) >= 4}
    assert len(secrets) > 500
    texts = _stored_texts(folder)
    assert any("runs.db" in where for where in texts) and sum(map(len, texts.values())) > 100_000
    assert "marts/cost_reconciliation" in "\n".join(texts.values())  # the event log is read
    names = Secrets(secrets)
    key = os.environ["SERAFIN_PSEUDONYM_KEY"]
    for where, text in texts.items():
        assert key not in text, where
        found = names.first(text)
        assert found is None, (where, found)
