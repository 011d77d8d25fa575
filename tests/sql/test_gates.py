"""The two ways a run must stop with a clear message: a bad edit of the parameter files, and a cost
allocation that does not reconcile with the ledger."""

import shutil

import pytest

from pipelines import settings
from pipelines.parameters import check_parameters


def test_shipped_parameter_files_are_clean():
    assert [str(p) for p in check_parameters()] == []


@pytest.fixture()
def bad_nomenclatures(tmp_path, monkeypatch):
    folder = tmp_path / "nomenclatures"
    shutil.copytree(settings.NOMENCLATURES_DIR, folder)
    sections = folder / "account_sections.csv"
    lines = sections.read_text(encoding="utf-8").splitlines()
    lines.append("6132,3.2.1.1,a second mapping of rents")  # duplicate prefix
    lines.append("6188,3.9.9,autres frais divers")                    # not a SERAFIN-PH code
    sections.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (folder / "profession_sections.csv").open("a", encoding="utf-8") as handle:
        handle.write("astronaute,3.1,\n")
    monkeypatch.setattr(settings, "NOMENCLATURES_DIR", folder)
    first_line_of_6132 = next(i for i, text in enumerate(lines, start=1) if text.startswith("6132,"))
    astronaut_line = len((folder / "profession_sections.csv").read_text(encoding="utf-8").splitlines())
    return len(lines), first_line_of_6132, astronaut_line


def test_bad_parameter_edits_are_named(bad_nomenclatures):
    last, first_6132, astronaut_line = bad_nomenclatures
    problems = check_parameters()
    assert {(p.file, p.line, p.column, p.value) for p in problems} == {
        ("account_sections.csv", last - 1, "prefix", "6132"),
        ("account_sections.csv", last, "section", "3.9.9"),
        ("profession_sections.csv", astronaut_line, "profession", "astronaute"),
    }
    text = [str(p) for p in problems]
    assert (f"nomenclatures/account_sections.csv, line {last}, column section: "
            "'3.9.9' is not a SERAFIN-PH code (see nomenclatures/serafin_codes.csv)") in text
    assert any(t.startswith(f"nomenclatures/account_sections.csv, line {last - 1}, column prefix: ")
               and t.endswith(f"is already given on line {first_6132} (each must appear once)") for t in text)


def test_bad_parameter_edit_fails_the_run(bad_nomenclatures, tmp_path, capsys):
    from pipelines.cli import main

    landing = tmp_path / "landing"
    landing.mkdir()
    code = main(["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0].startswith("Running the pipeline on")  # the progress line, then the verdict
    assert err.splitlines()[1].startswith("serafin run failed: bad parameter edit: nomenclatures/account_sections.csv")
    assert "'3.9.9' is not a SERAFIN-PH code" in err and "astronaute" in err
    assert not (tmp_path / "w.duckdb").exists()  # stopped before anything was computed


def test_reconciliation_gate_fails_with_one_line(worked_example, tmp_path):
    """Tamper with a built warehouse so that 1 234.56 EUR goes missing; the gate (a dbt singular test of
    severity error) must fail, and the run's reason must name the ESMS, the year and the gap."""
    import duckdb

    from pipelines.run import gate_reason
    from tests.conftest import run_dbt

    warehouse = tmp_path / "tampered.duckdb"
    shutil.copyfile(worked_example.path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.cost_reconciliation set allocated_to_persons = allocated_to_persons - 1234.56, "
                    "delta = delta + 1234.56")
    ok, statuses = run_dbt(warehouse, ["test", "--select", "assert_costs_reconcile_to_ledger"], tmp_path)
    assert not ok
    assert statuses == {"test.serafin.assert_costs_reconcile_to_ledger": "fail"}
    reason = gate_reason(warehouse)  # the test's own message, from the failing rows it stored
    assert reason == "reconciliation failed for ESMS 690000013 year 2025: gap 1,234.56 EUR"
    assert "\n" not in reason
