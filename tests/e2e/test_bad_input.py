"""The bad-input matrix (issue 16): one file per case in one landing folder (one file is one case: the landing
table, the log and the rejections are per file, so one run checks them all), through ingestion and validation.
For each file: rows read = loaded + rejected, and the exact reason. The other cases of the matrix live beside
the fixtures that already hold them: UTF-16, an XLSX with several sheets and a title block, gzip and a 3 MB
field in tests/test_ingestion_trust.py; Windows-1252 after 64 kB in the same file. A file of millions of rows
is generated here (never committed) and streamed."""

from __future__ import annotations

import gzip
import os
import resource

import pytest

from tests.conftest import Warehouse, run_pipeline

E = "690000013"
HEADER = "event_id,person_id,finess_et,professional_id,prestation_code,started_at,duration_min\n"


def _row(i: int, **values) -> str:
    row = {"event_id": f"e{i}", "person_id": "LOC-A", "finess_et": E, "professional_id": "P1",
           "prestation_code": "2.2.1", "started_at": f"2025-03-{i:02d}T09:00:00", "duration_min": "60"}
    row.update(values)
    return ",".join(row.values()) + "\n"


CASES = {
    # a UTF-8 byte-order mark, then Windows-1252 bytes: the declared encoding is wrong for the name
    "establishments.csv": b"\xef\xbb\xbf" + f"finess_et,name,category\n{E},".encode() + "Les Châtaigniers".encode(
        "cp1252") + b",IME\n69000001,Huit caract\xe8res,IME\n",
    # a correct BOM, and the columns the personal-data rule drops
    "persons.csv": "\ufeffperson_id,birth_year,NIR,Nom,Prénom,INS\nLOC-A,2010,185057512345678,DUPONT,Jean,1234\n"
                   .encode("utf-8"),
    "activity/01_line_endings.csv": (HEADER.replace("\n", "\r\n") + _row(1).replace("\n", "\r") + _row(2)
                                     + _row(3).replace("\n", "\r\n")).encode(),
    # a `;` file with one line written with `,`: one field where the header has seven
    "activity/02_mixed_delimiters.csv": (HEADER.replace(",", ";") + _row(4).replace(",", ";") + _row(5)).encode(),
    "activity/03_truncated_last_line.csv": (HEADER + _row(6) + _row(7)[:30]).encode(),
    "activity/04_empty.csv": b"",
    "activity/05_header_only.csv": HEADER.encode(),
    "activity/06_duplicate_headers.csv": (HEADER.strip() + ",duration_min\n" + _row(8).strip() + ",30\n").encode(),
    "activity/07_unknown_column.csv": (HEADER.strip() + ",couleur\n" + _row(9).strip() + ",bleu\n").encode(),
    "activity/08_values.csv": (HEADER + _row(10, started_at="31/02/2024 09:00") + _row(11, duration_min="0")
                               + _row(12, duration_min="2000") + _row(13, finess_et="69000001")
                               + _row(14, prestation_code="9.9.9")
                               + _row(15, prestation_code='"2.3.3.1 - Accompagnements pour mener sa vie d\'élève"'))
                              .encode(),
    # the same export saved twice under two names
    "activity/09_export.csv": (HEADER + _row(16) + _row(17)).encode(),
    "activity/10_export_copie.csv": (HEADER + _row(16) + _row(17)).encode(),
    "ledger.csv": f"finess_et;year;account;label;amount\n{E};2025;6411;Salaires;\"1 234,50 €\"\n"
                  f"{E};2025;6063;Fournitures;12\u202f000,00\u00a0€\n{E};2025;6132;Loyer;EUR 3 000\n".encode(),
}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("matrix")
    landing = work / "landing"
    for name, content in CASES.items():
        path = landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    ok, reason, warehouse = run_pipeline(landing, work, validate_only=True)
    assert ok, reason
    return Warehouse(warehouse)


def _log(matrix, file):
    return matrix.rows("select status, rows_read, rows_loaded, rows_rejected from audit.ingestion_log "
                       "where file = ?", [file])[0]


def _reasons(matrix, file):
    return matrix.rows("select line, column_name, value, reason from audit.rejected_rows where file = ? "
                       "order by line", [file])


def test_every_file_adds_up(matrix):
    rows = matrix.rows("select file, rows_read, rows_loaded, rows_rejected, status from audit.ingestion_log")
    assert {r[0] for r in rows} == set(CASES)
    for file, read, loaded, rejected, status in rows:
        if status == "loaded":
            assert read == loaded + rejected, file


def test_a_wrong_encoding_declared_and_a_short_finess(matrix):
    assert _log(matrix, "establishments.csv") == ("loaded", 2, 1, 1)
    assert matrix.rows("select name from core.establishments") == [("Les Châtaigniers",)]
    assert _reasons(matrix, "establishments.csv") == [
        (3, "finess_et", "69000001", "finess_et '69000001' must have 9 characters")]


def test_personal_columns_and_a_bom(matrix):
    assert _log(matrix, "persons.csv") == ("loaded", 1, 1, 0)
    dropped = matrix.scalar("select columns_dropped_personal from audit.ingestion_log where file = 'persons.csv'")
    assert set(dropped.split(", ")) == {"NIR", "Nom", "Prénom", "INS"}
    assert matrix.rows("select birth_year from core.persons") == [(2010,)]


def test_line_endings_delimiters_and_a_cut_line(matrix):
    assert _log(matrix, "activity/01_line_endings.csv") == ("loaded", 3, 3, 0)
    assert _log(matrix, "activity/02_mixed_delimiters.csv") == ("loaded", 2, 1, 1)
    # the `,` line is one field: not matched to the headers, so not stored (the person id is inside it)
    assert _reasons(matrix, "activity/02_mixed_delimiters.csv") == [
        (3, None, None, "malformed line: 1 fields where the header has 7")]
    assert _log(matrix, "activity/03_truncated_last_line.csv") == ("loaded", 2, 1, 1)
    [(line, _, value, reason)] = _reasons(matrix, "activity/03_truncated_last_line.csv")
    # e7,LOC-A,690000013,P1,2.2.1,2025-0 : six fields, the person id left out of what is kept
    assert (line, reason) == (3, "malformed line: 6 fields where the header has 7")
    assert value.startswith("event_id=e7, finess_et=690000013") and "LOC-A" not in value


def test_empty_header_only_and_odd_headers(matrix):
    assert _log(matrix, "activity/04_empty.csv") == ("rejected", 0, 0, 0)
    assert _reasons(matrix, "activity/04_empty.csv")[0][3] == \
        "whole file rejected: file could not be read: the file is empty (no header line)"
    assert _log(matrix, "activity/05_header_only.csv") == ("loaded", 0, 0, 0)
    # a repeated header: the first column of that name is read, the second listed as ignored
    assert _log(matrix, "activity/06_duplicate_headers.csv") == ("loaded", 1, 1, 0)
    assert matrix.rows("select duration_min from core.activity where event_id = 'e8'") == [(60,)]
    assert matrix.scalar("select columns_ignored from audit.ingestion_log "
                         "where file = 'activity/06_duplicate_headers.csv'") == "duration_min_1"
    assert matrix.scalar("select columns_ignored from audit.ingestion_log "
                         "where file = 'activity/07_unknown_column.csv'") == "couleur"


def test_bad_values_each_with_its_reason(matrix):
    assert _log(matrix, "activity/08_values.csv") == ("loaded", 6, 1, 5)
    assert [(line, column, reason) for line, column, _, reason in _reasons(matrix, "activity/08_values.csv")] == [
        (2, "started_at", "started_at '31/02/2024 09:00' is not a date-time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)"),
        (3, "duration_min", "duration_min '0' must be more than 0 and at most 1440"),
        (4, "duration_min", "duration_min '2000' must be more than 0 and at most 1440"),
        (5, "finess_et", "finess_et '69000001' must have 9 characters"),
        (6, "prestation_code", "prestation_code '9.9.9' is not a SERAFIN-PH code"),
    ]
    # a code followed by its label keeps the code
    assert matrix.rows("select prestation_code from core.activity where event_id = 'e15'") == [("2.3.3.1",)]


def test_the_same_export_twice_counts_once(matrix):
    """The first file by path keeps its rows; the copy's rows are rejected as duplicates naming the first."""
    assert _log(matrix, "activity/09_export.csv") == ("loaded", 2, 2, 0)
    assert _log(matrix, "activity/10_export_copie.csv") == ("loaded", 2, 0, 2)
    reasons = [r[3] for r in _reasons(matrix, "activity/10_export_copie.csv")]
    assert reasons == ["duplicate event_id, professional_id, person_id: first given on line 2 of "
                       "activity/09_export.csv",
                       "duplicate event_id, professional_id, person_id: first given on line 3 of "
                       "activity/09_export.csv"]


def test_amounts_written_as_people_write_them(matrix):
    assert _log(matrix, "ledger.csv") == ("loaded", 3, 3, 0)
    amounts = dict(matrix.rows("select account, amount from core.ledger"))
    assert {k: float(v) for k, v in amounts.items()} == {"6411": 1234.50, "6063": 12000.00, "6132": 3000.00}


def test_a_file_of_millions_of_rows_is_streamed(tmp_path):
    """Two million activity rows, gzipped, landed by the real ingestion: every row read, memory far below what
    holding them would take (the file is generated here, never committed)."""
    import duckdb

    from pipelines.ingestion.landing import land_folder

    landing = tmp_path / "landing"
    (landing / "activity").mkdir(parents=True)
    rows = 2_000_000
    with gzip.open(landing / "activity" / "big.csv.gz", "wt", compresslevel=1) as handle:
        handle.write(HEADER)
        for i in range(rows):
            handle.write(f"e{i},U{i % 5000},{E},P{i % 40},2.2.1,2025-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00,45\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        summary = land_folder(con, landing, os.environ["SERAFIN_PSEUDONYM_KEY"].encode(), tmp_path / "w.raw")
        assert [o.rows_read for o in summary.outcomes] == [rows]
        assert con.execute("select count(*), count(distinct person_id) from raw.activity").fetchone() == (rows, 5000)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 1500  # the rows as Python objects alone would take several GB
