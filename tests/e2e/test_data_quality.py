"""Data quality (issue 16): the Great Expectations checks on the demo (none fails), a planted fault per kind of
check on a copy of the demo warehouse (a month of activity missing warns; a duration of 2000 minutes fails the
run), donnees.html, and a privacy scan of a whole run: every table, every Parquet row file, every report and
every log line searched for NIR-shaped strings, INS, clear person ids and names of the landing files, and the
pseudonymisation key."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import data_quality as dq


def test_the_nir_search_finds_a_nir_and_only_one():
    # 1 85 05 75 123 456 + key 97 - (1850575123456 mod 97): what the scan must catch, in any text
    nir = "1850575123456" + f"{97 - 1850575123456 % 97:02d}"
    assert nir_in(f"person {nir};") == nir and nir == "185057512345673"
    assert nir_in("x 185057512345670 y") is None  # a wrong key: not a NIR
    assert nir_in("amount 1520887145604 and 0.152088714560412") is None


def test_no_check_fails_on_the_demo(demo):
    rows = demo.rows("select check_id, severity, success, unexpected_count from audit.data_quality")
    assert {r[0] for r in rows} == {c.check_id for c in dq.checks()}
    assert [r for r in rows if not r[2]] == []
    # every check has a severity in the setting file, and both kinds exist
    assert {r[1] for r in rows} == {"error", "warn"}
    assert set(dq.severities()) == {c.check_id for c in dq.checks()}


def test_the_data_quality_page_shows_each_check(demo):
    text = (demo.path.parent / "reports" / "donnees.html").read_text(encoding="utf-8")
    for check in dq.checks():
        assert f"<td>{check.check_id}</td>" in text
    assert 'href="donnees.html"' in (demo.path.parent / "reports" / "index.html").read_text(encoding="utf-8")
    assert "greatexpectations" not in text and "cdn" not in text


@pytest.fixture(scope="module")
def faulty(demo, tmp_path_factory) -> Path:
    """A copy of the demo warehouse with two faults planted in core.activity: the realised rows of June 2025 of
    one ESMS removed (a month missing from the export), and one duration set to 2000 minutes."""
    work = tmp_path_factory.mktemp("faulty")
    copy = work / "warehouse.duckdb"
    shutil.copy(demo.path, copy)
    with duckdb.connect(str(copy)) as con:
        finess = con.execute("select min(finess_et) from core.activity").fetchone()[0]
        event, professional, person = con.execute(
            "select event_id, professional_id, person_id from core.activity where person_id is not null "
            "order by event_id, professional_id, person_id limit 1").fetchone()
        # core.activity is a view over the validated rows: replaced here by a table holding the faults
        con.execute("""create table core.activity_planted as
                       select * replace (case when event_id = ? and professional_id = ? and person_id = ?
                                              then 2000 else duration_min end as duration_min)
                       from core.activity
                       where not (finess_et = ? and strftime(started_at, '%Y-%m') = '2025-06')""",
                    [event, professional, person, finess])
        con.execute("drop view core.activity")
        con.execute("alter table core.activity_planted rename to activity")
    return copy


def test_a_missing_month_warns_and_a_wrong_duration_fails(faulty, tmp_path):
    outcomes = {o.check.check_id: o for o in dq.run(faulty, tmp_path / "gx")}
    volume = outcomes["activity_monthly_volume"]
    assert not volume.success and volume.severity == "warn"
    with duckdb.connect(str(faulty), read_only=True) as con:
        finess = con.execute("select min(finess_et) from core.activity").fetchone()[0]
    assert {"finess_et": finess, "month": "2025-06", "activity_rows": "0"}.items() <= volume.sample[0].items()
    duration = outcomes["activity_duration_range"]
    assert not duration.success and duration.severity == "error" and duration.unexpected_count == 1
    assert "person_id" not in duration.sample[0] and duration.sample[0]["duration_min"].startswith("2000")
    # the others still pass
    assert [k for k, o in outcomes.items() if not o.success] == ["activity_duration_range", "activity_monthly_volume"]


@pytest.fixture(scope="module")
def wrong_codes(demo, tmp_path_factory) -> Path:
    """A copy of the demo warehouse with two code faults planted in core.activity: a code outside the official
    set on the row of an action of one row, and one row of an action of several rows given another official code
    than its other rows."""
    work = tmp_path_factory.mktemp("wrong-codes")
    copy = work / "warehouse.duckdb"
    shutil.copy(demo.path, copy)
    with duckdb.connect(str(copy)) as con:
        single = con.execute("select event_id, professional_id from core.activity group by all having count(*) = 1 "
                             "order by all limit 1").fetchone()
        shared = con.execute("select event_id, professional_id, min(person_id) from core.activity group by 1, 2 "
                             "having count(*) >= 3 order by all limit 1").fetchone()
        other = con.execute("select min(prestation_code) from core.activity where prestation_code <> "
                            "(select min(prestation_code) from core.activity where event_id = ? and "
                            "professional_id = ?)", list(shared[:2])).fetchone()[0]
        con.execute("""create table core.activity_planted as
                       select * replace (case when event_id = ? and professional_id = ? then 'X.9'
                                              when event_id = ? and professional_id = ? and person_id = ? then ?
                                              else prestation_code end as prestation_code)
                       from core.activity""", [*single, *shared, other])
        con.execute("drop view core.activity")
        con.execute("alter table core.activity_planted rename to activity")
    return copy


def test_a_code_outside_the_set_and_two_prestations_for_one_action_fail(wrong_codes, tmp_path):
    outcomes = {o.check.check_id: o for o in dq.run(wrong_codes, tmp_path / "gx")}
    with duckdb.connect(str(wrong_codes), read_only=True) as con:
        single = con.execute("select event_id, professional_id from core.activity where prestation_code = 'X.9'"
                             ).fetchall()
        shared = con.execute("select event_id, professional_id from core.activity group by 1, 2 "
                             "having count(distinct prestation_code) = 2").fetchall()
    assert len(single) == 1 and len(shared) == 1
    code = outcomes["activity_code_official"]
    assert not code.success and code.severity == "error" and code.unexpected_count == 1
    assert code.sample == [{"event_id": single[0][0], "finess_et": code.sample[0]["finess_et"],
                            "professional_id": single[0][1], "prestation_code": "X.9"}]
    one = outcomes["activity_one_prestation_per_action"]
    assert not one.success and one.unexpected_count == 1
    assert one.sample == [{"event_id": shared[0][0], "professional_id": shared[0][1], "prestations": "2"}]
    assert sorted(k for k, o in outcomes.items() if not o.success) == [
        "activity_code_official", "activity_one_prestation_per_action"]


def test_a_failing_error_check_fails_the_asset_and_names_itself(faulty, tmp_path):
    import dagster as dg

    from pipelines.defs.quality import data_quality
    from pipelines.defs.resources import SerafinPaths

    paths = SerafinPaths(landing=str(tmp_path), warehouse=str(faulty), raw=str(tmp_path / "raw"),
                         work=str(tmp_path / "work"), reports=str(tmp_path / "reports"))
    result = dg.materialize([data_quality], resources={"paths": paths}, raise_on_error=False)
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["activity_duration_range"].passed is False
    assert checks["activity_duration_range"].severity == dg.AssetCheckSeverity.ERROR
    assert checks["activity_monthly_volume"].severity == dg.AssetCheckSeverity.WARN
    assert checks["activity_code_official"].passed is True
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "activity_duration_range" in failure.step_failure_data.error.message


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
        return "\n".join(str(v) for row in duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
                         for v in row)
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
    tables = demo.rows("select table_schema, table_name from information_schema.tables")
    texts = {f"{s}.{t}": "\n".join(str(v) for row in demo.rows(f'select * from {s}."{t}"') for v in row)
             for s, t in tables}
    texts |= {str(p): _scan_text(p) for p in files}
    assert len(tables) > 100
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
    numbers = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?![0-9A-Za-z])")  # a matricule stands alone, not inside a hash
    for where, text in texts.items():
        clear = set(numbers.findall(text)) & matricules
        assert not clear, (where, sorted(clear)[:3])
        assert key not in text, where
        assert nir_in(text) is None, (where, nir_in(text))
        found = pattern.search(text)
        assert not found, (where, found.group(0))
