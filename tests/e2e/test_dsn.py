"""The monthly DSN → staff (finance-sources.md, "DSN → staff"): the reader on its own (pipelines/ingestion/dsn.py),
then the fixture landing of tests/fixtures/dsn through the ingestion and the validation (figures worked out by hand
in tests/fixtures/dsn/README.md), and no NIR, name, birth date, address or clear matricule left anywhere."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingestion import dsn
from tests.conftest import FIXTURES, Warehouse, run_pipeline
from tests.e2e.test_data_quality import nir_in
from tests.privacy import Secrets, warehouse_texts

DSN_FIXTURES = FIXTURES / "dsn"
IME, SESSAD, MAS = "690000013", "690000021", "690000039"


def professional(local: str) -> str:
    """A professional's pseudonym computed here: `S` + HMAC-SHA256(key, id), 20 hex digits."""
    key = os.environ["SERAFIN_PSEUDONYM_KEY"].strip().encode()
    return "S" + hmac.new(key, local.encode(), hashlib.sha256).hexdigest()[:20]


def test_spread_adds_up_to_the_cent():
    # 1,333.33 spread 2:1 → 888.886… and 444.443…: the leftover cent goes to the largest remainder
    assert dsn.spread(133333, [200000, 100000]) == [88889, 44444]
    assert dsn.spread(-100, [1, 1, 1]) == [-34, -33, -33]
    assert dsn.spread(1000, [0, 0]) == [500, 500]
    assert sum(dsn.spread(123457, [7, 13, 29, 51])) == 123457
    assert dsn.cents("-50.5") == -5050 and dsn.cents("2500.00") == 250000
    with pytest.raises(ValueError):
        dsn.cents("12a.00")


def _read(name: str) -> dsn.DsnFile:
    return dsn.read_file(DSN_FIXTURES / "landing" / "dsn" / name, lambda matricule: "S-" + matricule)


def test_individual_contributions_and_quotas():
    rows = {r["professional_id"]: r for r in _read("IME_202501.dsn").rows}
    assert set(rows) == {"S-M001", "S-M002", "S-M003"}
    alice = rows["S-M001"]
    # gross: the type 001 only (not the 999.99 of type 002); contributions 400.00 + 250.50 - 50.50
    assert (alice["gross"], alice["contributions"], alice["contributions_source"]) == ("2500.00", "600.00",
                                                                                       "individual")
    assert (alice["month"], alice["declaring_siret"], alice["workplace_siret"]) == ("2025-01", "77567227200018",
                                                                                    "77567227200018")
    part_time = rows["S-M002"]  # a half-time contract: 17.50 of a 35.00 reference
    assert (part_time["reference_quota"], part_time["contract_quota"]) == ("35.00", "17.50")
    assert part_time["job_label"] == "CHARGE DE MISSION QUALITE" and rows["S-M003"]["pcs_ese"] == "434f"


def test_aggregated_contributions_latin1_and_quarantine():
    read = _read("SESSAD_202501.dsn")
    rows = {r["professional_id"]: r for r in read.rows}
    # no S21.G00.81: the aggregate 1,000.00 + 333.33 spread by gross 2,000 : 1,000
    assert [(rows[p]["gross"], rows[p]["contributions"]) for p in ("S-M010", "S-M011")] == [
        ("2000.00", "888.89"), ("1000.00", "444.44")]
    assert {r["contributions_source"] for r in read.rows} == {"aggregate"}
    assert rows["S-M011"]["job_label"] == "ÉDUCATRICE SPÉCIALISÉE"  # Latin-1, read as such
    # the NIR line cut short: its line and reason, never its value; a garbled amount: shown, it is not personal
    assert read.rejections == [
        (58, None, None, "not a DSN line (expected S21.G00.BB.RRR,'value')"),
        (96, "S21.G00.51.013", "12a.00", "S21.G00.51.013: an amount is a number with a decimal point (1234.56)")]


def test_two_contracts_share_the_contributions_by_gross(tmp_path):
    text = "\n".join([
        "S20.G00.05.001,'01'", "S20.G00.05.005,'01032025'", "S21.G00.06.001,'775672272'", "S21.G00.11.001,'00018'",
        "S21.G00.30.001,'185017512345641'", "S21.G00.30.002,'NOMINVENTE'", "S21.G00.30.019,'X9'",
        "S21.G00.40.009,'A'", "S21.G00.40.012,'151.67'", "S21.G00.40.013,'75.84'", "S21.G00.40.019,'77567227200018'",
        "S21.G00.40.009,'B'", "S21.G00.40.012,'151.67'", "S21.G00.40.013,'75.83'", "S21.G00.40.019,'77567227200026'",
        "S21.G00.51.010,'B'", "S21.G00.51.011,'001'", "S21.G00.51.013,'1000.00'",
        "S21.G00.51.010,'A'", "S21.G00.51.011,'001'", "S21.G00.51.013,'2000.00'",
        "S21.G00.81.001,'075'", "S21.G00.81.004,'100.01'", ""])
    (tmp_path / "x.dsn").write_text(text, encoding="utf-8")
    read = dsn.read_file(tmp_path / "x.dsn", lambda m: m)
    # each remuneration goes to the contract it names (.010 = .009); the contract number itself is not kept
    assert [(r["workplace_siret"], r["gross"], r["contributions"]) for r in read.rows] == [
        ("77567227200018", "2000.00", "66.67"), ("77567227200026", "1000.00", "33.34")]
    assert "contract_id" not in read.rows[0]
    (tmp_path / "y.dsn").write_text("num;date\n1;2\n", encoding="utf-8")
    with pytest.raises(dsn.DsnProblem, match="not a DSN file"):
        dsn.read_file(tmp_path / "y.dsn", lambda m: m)


@pytest.fixture(scope="module")
def dsn_run(tmp_path_factory) -> tuple[Warehouse, Path]:
    """The fixture landing through the ingestion and the validation, every log line kept."""
    work = tmp_path_factory.mktemp("dsn")
    shutil.copytree(DSN_FIXTURES / "landing", work / "landing")
    handler = logging.FileHandler(work / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(n) for n in ("serafin", "dagster", "dagster.builtin"))]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        ok, reason, warehouse = run_pipeline(work / "landing", work, validate_only=True)
    finally:
        root.removeHandler(handler)
        handler.close()
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    assert ok, reason
    return Warehouse(warehouse), work


def test_staff_from_the_dsn(dsn_run):
    warehouse, _ = dsn_run
    got = {r[0]: r[1:] for r in warehouse.rows(
        "select professional_id, finess_et, year, profession, cast(fte as double), cast(annual_cost as double) "
        "from core.staff")}
    expected = {
        # two full-time months: 2/12; 2,500 + 600 + 2,600 + 620 (the SIRET of establishments.csv)
        "M001": (IME, 2025, "educateur_specialise", 0.1667, 6320.00),
        "M002": (IME, 2025, "autre", 0.0417, 1500.00),              # half time one month; label unmapped
        "M003": (IME, 2025, "educateur_technique", 0.0833, 2700.00),  # PCS-ESE 434f
        "M010": (SESSAD, 2025, "moniteur_educateur", 0.0833, 2888.89),  # the FINESS feed's SIRET; aggregate
        "M011": (SESSAD, 2025, "educateur_specialise", 0.0833, 1444.44),
        "M020": (MAS, 2025, "aes", 0.0833, 2470.00),                  # comptabilite.yaml's SIRET; AMP
    }
    assert got == {professional(m): v for m, v in expected.items()}
    matches = dict(warehouse.rows("select professional_id, profession_match from validation.int_staff__checked "
                                  "where source = 'dsn' and reject_reason is null"))
    assert matches[professional("M011")] == "label" and matches[professional("M003")] == "pcs_ese"


def test_unplaced_sirets_and_unmapped_labels_are_said(dsn_run):
    warehouse, work = dsn_run
    rejected = {(r[0], r[1]): r[2:] for r in warehouse.rows(
        "select file, line, column_name, value, reason from audit.rejected_rows where source_table = 'staff'")}
    assert rejected == {
        ("dsn/MAS_202501.dsn", 76): ("finess_et", "77567227200042", "the DSN workplace SIRET '77567227200042' is "
                                     "placed on no ESMS: give it as the siret of its establishment "
                                     "(establishments), or under sirets: in comptabilite.yaml"),
        ("dsn/MAS_202501.dsn", 118): ("finess_et", "77567227200059", "the DSN workplace SIRET '77567227200059' is "
                                      "the SIRET of several ESMS (690000047, 690000054): place it under sirets: in "
                                      "comptabilite.yaml")}
    lines = warehouse.rows("select line, column_name, value, reason from audit.rejected_rows "
                           "where source_table = 'dsn_contracts' order by line")
    assert [r[:3] for r in lines] == [(58, None, None), (96, "S21.G00.51.013", "12a.00")]
    warnings = warehouse.rows("select file, line, value from audit.data_warnings where column_name = 'profession'")
    assert warnings == [("dsn/IME_202501.dsn", 89, "CHARGE DE MISSION QUALITE")]
    log = (work / "run.log").read_text(encoding="utf-8")
    assert "DSN job label 'CHARGE DE MISSION QUALITE' (PCS-ESE 372e) maps to no profession" in log


def test_no_nir_name_birth_date_address_or_matricule_after_a_run(dsn_run):
    warehouse, work = dsn_run
    secrets = set()
    for path in (DSN_FIXTURES / "landing" / "dsn").iterdir():
        for line in path.read_bytes().decode("latin-1").splitlines():
            field, _, value = line.partition(",")
            if field[:14] in {f"S21.G00.30.{r}" for r in ("001", "002", "004", "006", "008")}:
                secrets.add(value.strip("'"))
    secrets = {s.encode("latin-1").decode("utf-8", errors="ignore") or s for s in secrets} | secrets
    assert {"INVENTORIX", "ALICEIXA", "15031985", "3 RUE IMAGINAIRE"} <= secrets
    names = Secrets(secrets)
    matricule = re.compile(r"\bM0[0-9]{2}\b")
    texts = warehouse_texts(warehouse.path)
    for path in work.rglob("*.parquet"):
        if "landing" not in path.parts:
            texts[str(path)] = "\n".join(str(v) for row in duckdb.sql(f"select * from read_parquet('{path}')")
                                         .fetchall() for v in row)
    texts["run.log"] = (work / "run.log").read_text(encoding="utf-8")
    assert any("dsn_contracts" in where for where in texts) and "MAS_202501.dsn" in texts["run.log"]
    for where, text in texts.items():
        assert nir_in(text) is None, (where, nir_in(text))
        found = names.first(text) or (matricule.search(text) or [None])[0]
        assert found is None, (where, found)
