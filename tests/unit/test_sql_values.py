"""Values written as SQL literals (pipelines/ingestion/sql_values.py), and the landing of TDDUI exports without
pandas or pyarrow (DuckDB's client imports both at a connection's first statement with parameters)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from pipelines import settings
from pipelines.ingestion import sql_values

AWKWARD = ["l'IME « Les Tilleuls »", "C:\\landing\\fhir", "two\nlines", "", "'; drop table t; --", "é\u3000ü", "?"]


def test_texts_come_back_as_they_were_written():
    con = duckdb.connect()
    con.execute("create table t (k integer, v varchar, b boolean)")
    rows = [(k, v, k % 2 == 0) for k, v in enumerate(AWKWARD)] + [(99, None, None)]
    assert sql_values.inline(rows)
    sql_values.insert(con, "t", rows, batch=3)  # three statements
    assert con.execute("select k, v, b from t order by k").fetchall() == rows


def test_a_nul_character_goes_as_a_parameter():
    con = duckdb.connect()
    con.execute("create table t (v varchar)")
    rows = [("a\x00b",), ("c",)]
    assert not sql_values.inline(rows)
    sql_values.insert(con, "t", rows)
    assert con.execute("select v from t order by v").fetchall() == rows


def test_a_tddui_export_lands_without_pandas_or_pyarrow(tmp_path):
    """A landing of FHIR files (NDJSON with a Group, a Bundle with an Organization) through land_folder in a process
    of its own: the rows land, and neither pandas nor pyarrow was imported on the way."""
    fhir = tmp_path / "landing" / "fhir"
    fhir.mkdir(parents=True)
    org = {"resourceType": "Organization", "id": "o1", "name": "IME",
           "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1690000013"}]}
    patient = {"resourceType": "Patient", "id": "u1", "identifier": [{"value": "LOC-1"}]}
    group = {"resourceType": "Group", "id": "g1", "member": [{"entity": {"reference": "Patient/u1"}}]}
    event = {"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": {"reference": "Group/g1"},
             "type": [{"coding": [{"system": "https://smt.esante.gouv.fr/terminologie-SERAFINPH", "code": "2.2.1"}]}],
             "period": {"start": "2025-03-01T09:00:00"}, "serviceProvider": {"reference": "Organization/o1"}}
    (fhir / "ref.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                               "entry": [{"resource": org}, {"resource": patient}]}))
    (fhir / "events.ndjson").write_text("\n".join(json.dumps(r) for r in (group, event)) + "\n")
    script = f"""
import sys, duckdb
from pathlib import Path
from pipelines.ingestion.landing import land_folder
con = duckdb.connect({str(tmp_path / 'w.duckdb')!r})
land_folder(con, Path({str(tmp_path / 'landing')!r}), b"test-key-not-secret-but-32-bytes-long")
print(con.execute("select count(*) from raw.activity").fetchone()[0], con.execute(
    "select count(*) from raw.establishments").fetchone()[0], "pandas" in sys.modules, "pyarrow" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=settings.ROOT,
                          check=True)
    assert done.stdout.split() == ["1", "1", "False", "False"], done.stderr[-2000:]


def test_a_sink_writes_its_rows_as_text_in_order_and_a_discarded_one_leaves_nothing(tmp_path, monkeypatch):
    from pipelines.ingestion.load_context import Sink

    con = duckdb.connect()
    monkeypatch.setattr(Sink, "BATCH", 2)  # three rows: two batches of JSON lines
    sink = Sink(con, tmp_path / "t" / "rows.parquet", ["a", "b"], "fhir/x.ndjson")
    for line, (a, b) in enumerate([("l'un", None), (7, "deux\nlignes"), ("", "é")], start=1):
        sink.add({"a": a, "b": b, "_line": line * 1000})
    assert sink.close() == 3
    assert con.execute(f"select * from read_parquet('{tmp_path / 't' / 'rows.parquet'}')").fetchall() == [
        ("l'un", None, "fhir/x.ndjson", 1000), ("7", "deux\nlignes", "fhir/x.ndjson", 2000),
        ("", "é", "fhir/x.ndjson", 3000)]
    empty = Sink(con, tmp_path / "t" / "empty.parquet", ["a"], "fhir/y.ndjson")
    assert empty.close() == 0
    assert con.execute(f"select count(*) from read_parquet('{tmp_path / 't' / 'empty.parquet'}')").fetchone() == (0,)
    given_up = Sink(con, tmp_path / "t" / "gone.parquet", ["a"], "fhir/z.ndjson")
    for line in range(3):
        given_up.add({"a": "x", "_line": line})
    given_up.discard()
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["empty.parquet", "rows.parquet"]
