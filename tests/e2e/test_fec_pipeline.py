"""The FEC route end to end (issue 37): the cost method's worked example, its ledger given as the gestionnaire's FEC,
gives the same costs to the cent as through ledger.csv (the demo's: test_fec_demo.py); what the FEC holds beyond
the ESMS (the head office's costs) is listed, never lost; the dbt test that each file's class 6 and 7 lines reach
the ledger passes (a failing dbt test fails the run)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURES, WORKED_EXAMPLE, Warehouse, run_pipeline
from tests.costs import assert_same_costs

FEC_WORKED = FIXTURES / "fec" / "worked_example"
@pytest.fixture(scope="module")
def worked_fec(tmp_path_factory) -> Warehouse:
    """The worked example, ledger.csv replaced by the FEC of its legal entity (tests/fixtures/fec/worked_example:
    the same charges, booked with counterparts, a credit note, a label cut by a '|', and the head office's journal),
    through the dbt build and its tests (`serafin run --warehouse-only`: the couts page is built below, on its own)."""
    work = tmp_path_factory.mktemp("worked_fec")
    landing = work / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "ledger.csv").unlink()
    (landing / "comptabilite").mkdir()
    shutil.copy(FEC_WORKED / "690000021FEC20251231.txt", landing / "comptabilite")
    shutil.copy(FEC_WORKED / "comptabilite.yaml", landing)
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    return Warehouse(warehouse)


def test_worked_example_costs_are_the_same_through_the_fec(worked_fec, worked_example):
    assert_same_costs(worked_fec, worked_example)
    # 6021: 12 500 invoiced - 500 credit note = the 12 000 of ledger.csv, its section given by the analytic column
    assert worked_fec.rows("select amount, section from core.ledger where account = '6021'") == [(12000, "3.2.2.1")]


def test_worked_example_fec_audit(worked_fec):
    # the head office's fees: journal SIE, which comptabilite.yaml does not give to an ESMS
    assert worked_fec.rows("select year, account, code, amount, entries from audit.fec_unassigned") == [
        (2025, "6226", "SIE", 4200, 1)]
    # 251 000 of class 6 from the FEC (the 8 accounts of ledger.csv), 198 000 of staff from staff.csv
    assert worked_fec.rows("select table_name, source, files, amount from audit.finance_sources order by 1") == [
        ("ledger", "FEC", 1, 251000), ("staff", "CSV", 1, 198000)]
    # the head office's cash advance does not balance (1 000,00 against 999,99): loaded, and warned
    assert worked_fec.rows("select line, column_name, value, warning from audit.data_warnings") == [
        (22, "EcritureNum", "11", "entry 'SIE' '11': debits 1000.00 and credits 999.99 differ (a FEC entry should "
                                  "balance): loaded as it is")]
    assert worked_fec.rows("select format, encoding, delimiter, rows_read, rows_loaded, rows_rejected "
                           "from audit.ingestion_log where source_table = 'comptabilite'") == [
        ("fec", "cp1252", "|", 8, 8, 0)]  # written ISO-8859-15, with no letter where it differs from Windows-1252


def test_couts_page_links_the_accounts_to_the_costs(worked_fec, tmp_path):
    from reports.cost_report import build_cost_report

    text = build_cost_report(worked_fec.path, tmp_path).read_text(encoding="utf-8")
    section = text[text.index("Des comptes et de la paie au coût"):]
    assert "FEC (1 fichier)" in section and "fichier CSV (1 fichier)" in section
    assert "journal SIE absent de comptabilite.yaml" in section
    assert (tmp_path / "donnees" / "couts-fec-non-affecte.xlsx").exists()


def test_the_dbt_check_fails_when_a_file_does_not_reach_the_ledger(worked_fec, tmp_path):
    """assert_fec_reaches_ledger can fail: the same warehouse, the FEC's class 6 and 7 sum one cent off."""
    import duckdb

    from tests.conftest import run_dbt

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(worked_fec.path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table raw.fec_files_kept as select * from raw.fec_files")
        con.execute("drop view raw.fec_files")
        con.execute("create view raw.fec_files as select * replace (cast(cast(class67_amount as decimal(18, 2)) "
                    "+ 0.01 as varchar) as class67_amount) from raw.fec_files_kept")
    ok, status = run_dbt(warehouse, ["test", "--select", "assert_fec_reaches_ledger"], tmp_path)
    assert not ok and list(status.values()) == ["fail"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        message = con.execute("select message from audit.assert_fec_reaches_ledger").fetchone()[0]
    assert message.startswith("the ledger rows of comptabilite/690000021FEC20251231.txt and its unassigned amounts "
                              "do not add up to its class 6 and 7 lines: 0.01 EUR apart")
