"""FEC and trial balances → raw.ledger (finance-sources.md §1, issue 37). Each fixture of tests/fixtures/fec/ is a small
file whose figures are worked out by hand below; it is landed alone (pipelines/ingestion/landing.py, DuckDB only, no
dbt) with the fixtures' comptabilite.yaml."""

from __future__ import annotations

import gzip
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.ingestion.landing import land_folder
from tests.conftest import FIXTURES, ROOT

FEC_FIXTURES = FIXTURES / "fec"
KEY = b"test-key-not-secret-but-32-bytes-long"


class Landed:
    def __init__(self, con):
        self.con = con

    def ledger(self) -> dict[tuple, Decimal]:
        """(finess_et, account, section) -> amount of raw.ledger."""
        return {(f, a, s): Decimal(x) for f, a, s, x in self.con.execute(
            "select finess_et, account, section, amount from raw.ledger").fetchall()}

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()


def land(tmp_path: Path, *names: str, config: str | None = None, gz: bool = False) -> Landed:
    landing = tmp_path / "landing"
    (landing / "comptabilite").mkdir(parents=True, exist_ok=True)
    (landing / "comptabilite.yaml").write_text(config or (FEC_FIXTURES / "comptabilite.yaml").read_text("utf-8"), "utf-8")
    for name in names:
        if gz:
            (landing / "comptabilite" / (name + ".gz")).write_bytes(gzip.compress((FEC_FIXTURES / name).read_bytes()))
        else:
            shutil.copy(FEC_FIXTURES / name, landing / "comptabilite" / name)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    land_folder(con, landing, KEY)
    return Landed(con)


def _d(text: str) -> Decimal:
    return Decimal(text)


def test_journal_split_counterparts_credit_note_head_office(tmp_path):
    out = land(tmp_path, "775672272FEC20251231.txt")
    # IME: 6021 = 200,50 (invoice) - 50,25 (credit note) + 10,00 = 160,25; 655 the head-office share; 421/401/411/512/181
    # counterparts are not class 6 or 7. SES: 6063 30,00 (its entry does not balance). HS journal: no ESMS.
    assert out.ledger() == {
        ("690000013", "6411", None): _d("1000.00"), ("690000013", "6021", None): _d("160.25"),
        ("690000013", "731100", None): _d("5000.00"), ("690000013", "655", None): _d("300.00"),
        ("690000021", "6411", None): _d("700.00"), ("690000021", "6063", None): _d("30.00")}
    assert out.rows("select distinct year from raw.ledger") == [("2025",)]
    # the label: the account's most frequent CompteLib (Alimentation twice, Alim. once); the line: its first line
    assert out.rows("select label, _line from raw.ledger where account = '6021'") == [("Alimentation", 4)]
    assert out.rows("select account, code, amount, lines, entries, reason from raw.fec_unassigned") == [
        ("6226", "HS", "400.00", "1", "1", "journal HS is not in comptabilite.yaml")]
    assert out.rows("select journal, entry, debit, credit, _line from raw.fec_unbalanced") == [
        ("SES", "2", "30.00", "25.00", 16)]
    # Σ class 6 and 7 lines: 1000 + 160,25 + 5000 + 300 + 700 + 30 + 400 = 7 590,25 = ledger 7 190,25 + unassigned 400
    assert out.rows("select kind, siren, year, split, lines, entries, class67_amount from raw.fec_files") == [
        ("fec", "775672272", "2025", "journal", "20", "10", "7590.25")]
    assert out.rows("select format, encoding, delimiter, rows_read, status from raw.ingested_files") == [
        ("fec", "utf-8", "tab", 6, "loaded")]


def test_analytic_split_pipe_windows_1252_repaired_and_quarantined_lines(tmp_path):
    out = land(tmp_path, "301234567FEC20251231.txt")
    # A01: 6063 120; A02: 6063 80 and 6064 15,50 (the line whose label holds a '|', put back together)
    assert out.ledger() == {("690000013", "6063", None): _d("120.00"), ("690000021", "6063", None): _d("80.00"),
                            ("690000021", "6064", None): _d("15.50")}
    assert out.rows("select label from raw.ledger where account = '6063' limit 1") == [("Fournitures d\u2019entretien",)]
    assert out.rows("select code, amount, reason from raw.fec_unassigned order by _line") == [
        (None, "40.00", "no analytic code in CodeAnalytique"),
        ("Z99", "12.00", "analytic code Z99 is not in comptabilite.yaml")]
    # line 11: '9|99' in Debit, no text column can take the extra field; line 13: '12,3x'
    assert out.rows("select line, reason from raw.row_rejections order by line") == [
        (11, "20 fields where the header has 19 (a '|' inside a value?): not repaired, no text column can hold them "
             "with the dates and amounts still read"),
        (13, "Debit 12,3x is not an amount")]
    assert out.rows("select encoding, delimiter, rows_read from raw.ingested_files") == [("cp1252", "|", 5)]


def test_account_suffix_montant_sens_iso_8859_15_semicolon(tmp_path):
    out = land(tmp_path, "401234567FEC20251231.txt")
    # 641101 -> 6411 of suffix 01; 606301 -> 6063 (a negative Montant on the debit side: -20); 706001 -> 7060
    assert out.ledger() == {("690000039", "6411", None): _d("2500.00"), ("690000039", "6063", None): _d("-20.00"),
                            ("690000039", "7060", None): _d("100.00")}
    assert out.rows("select label from raw.ledger where account = '6063'") == [("Fournitures - c\u0153ur de métier",)]
    assert out.rows("select account, code, amount, reason from raw.fec_unassigned") == [
        ("606102", "02", "60.00", "account suffix 02 is not in comptabilite.yaml")]
    assert out.rows("select line, reason from raw.row_rejections") == [(10, "Sens X is neither D/C nor +1/-1")]
    assert out.rows("select encoding, delimiter from raw.ingested_files") == [("iso-8859-15", ";")]


def test_one_file_per_esms_fiscal_year_not_the_calendar_year_gzipped(tmp_path):
    out = land(tmp_path, "501234567FEC20250630.txt", gz=True)
    # the year closing 30 June 2025 is 2025, its September 2024 rent included: 900 + 900; Sens +1/-1
    assert out.ledger() == {("690000047", "6132", None): _d("1800.00"), ("690000047", "747000", None): _d("1500.00")}
    assert out.rows("select distinct year from raw.ledger") == [("2025",)]
    assert out.rows("select closing_date, year from raw.fec_files") == [("20250630", "2025")]
    assert out.rows("select encoding from raw.ingested_files") == [("gzip, utf-8",)]


def test_trial_balances_both_layouts(tmp_path):
    out = land(tmp_path, "601234567BAL20251231.csv", "701234567BALANCE2025.txt")
    assert out.ledger() == {
        # debit, credit and solde columns: class 6 D - C, class 7 C - D; 401000 is not class 6 or 7
        ("690000013", "606100", None): _d("800.00"), ("690000013", "641100", None): _d("12000.00"),
        ("690000013", "731100", None): _d("15000.00"),
        # solde and D/C, the year from the file name, split by account suffix: a credit balance of class 6 is negative
        ("690000021", "606100", None): _d("300.00"), ("690000021", "706000", None): _d("450.00"),
        ("690000021", "606000", None): _d("-25.00")}
    assert out.rows("select _file, year from raw.ledger group by all order by 1") == [
        ("comptabilite/601234567BAL20251231.csv", "2025"), ("comptabilite/701234567BALANCE2025.txt", "2025")]
    assert out.rows("select account, amount from raw.fec_unassigned") == [("60610002", "10.00")]
    assert out.rows("select kind from raw.fec_files") == [("balance",), ("balance",)]


def test_a_file_of_no_entity_is_unassigned_whole(tmp_path):
    config = 'entities:\n  - siren: "111111111"\n    split: file\n    finess: "690000013"\n'
    out = land(tmp_path, "501234567FEC20250630.txt", config=config)
    assert out.ledger() == {}
    assert out.rows("select account, amount, reason from raw.fec_unassigned order by account") == [
        ("6132", "1800.00", "no entity of comptabilite.yaml for this file (siren or file)"),
        ("747000", "1500.00", "no entity of comptabilite.yaml for this file (siren or file)")]


@pytest.mark.parametrize(("config", "reason"), [
    ('entities:\n  - siren: "601234567"\n    split: journal\n    journals: {A: "690000013"}\n',
     "comptabilite.yaml splits this entity by journal, and a trial balance has no journal"),
    ('entities:\n  - siren: "601234567"\n    split: analytic\n    column: Section\n    codes: {A: "690000013"}\n',
     "comptabilite.yaml names the analytic column 'Section', which this file does not have"),
])
def test_a_split_the_file_cannot_follow_rejects_it_whole(tmp_path, config, reason):
    out = land(tmp_path, "601234567BAL20251231.csv", config=config)
    assert out.ledger() == {}
    status, message = out.rows("select status, message from raw.ingested_files")[0]
    assert status == "rejected" and message.startswith(reason)
    assert out.rows("select line, reason from raw.row_rejections")[0][1].startswith("whole file rejected: " + reason)


def test_a_changed_split_reads_the_file_again(tmp_path):
    out = land(tmp_path, "501234567FEC20250630.txt")
    assert {k[0] for k in out.ledger()} == {"690000047"}
    out.con.close()
    config = (FEC_FIXTURES / "comptabilite.yaml").read_text("utf-8").replace('finess: "690000047"', 'finess: "690000054"')
    out = land(tmp_path, "501234567FEC20250630.txt", config=config)
    assert {k[0] for k in out.ledger()} == {"690000054"}


def test_repair_puts_a_label_back_together_only_when_nothing_else_can_hold_the_fields(tmp_path):
    from pipelines.ingestion import fec

    path = tmp_path / "x.txt"
    path.write_text("JournalCode|EcritureNum|EcritureDate|CompteNum|CompteLib|EcritureLib|Debit|Credit\n", "utf-8")
    found = fec.open_file(path, tmp_path, "x")
    fixed, _ = fec.repair(found, ["AC", "1", "20250101", "6063", "Fournitures", "Achat ", " outils", "10,00", "0,00"])
    assert fixed == ["AC", "1", "20250101", "6063", "Fournitures", "Achat | outils", "10,00", "0,00"]
    # either label could hold the extra field: the amounts are the same whichever, the line is repaired
    fixed, _ = fec.repair(found, ["AC", "1", "20250101", "6063", "Four", "nitures", "Achat", "10,00", "0,00"])
    assert fixed is not None and fixed[6:] == ["10,00", "0,00"]
    # a '|' inside an amount: no text column can take it
    fixed, reason = fec.repair(found, ["AC", "1", "20250101", "6063", "Fournitures", "Achat", "10", "00", "0,00"])
    assert fixed is None and "not repaired" in reason


def test_lines_after_a_rejected_line_keep_their_number():
    from pipelines.ingestion.fec import _line_of

    # lines 4 and 5 rejected by the read: positions 0, 1 are lines 2, 3; position 2 is line 6
    assert [_line_of(p, [4, 5]) for p in range(4)] == [2, 3, 6, 7]


def test_finance_feed_benchmark_code_path(tmp_path):
    """benchmarks/finance_feed.py at a tiny size, so its code path cannot rot (no timing is asserted)."""
    import json
    import subprocess
    import sys

    root = ROOT
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(root / "benchmarks" / "finance_feed.py"), "--lines", "2000", "--json",
                          str(out)], check=False, capture_output=True, text=True, cwd=root, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results) >= {"csv", "fec"} and all(r["rows_per_s"] > 0 for r in results.values())
    assert "fec / csv time" in run.stdout
