"""The demo's ledger through both routes (issue 37): as the gestionnaire's FEC (the session's `demo`) and as
ledger.xlsx (validated here), the same ledger to the cent, and so the same costs (the cost models read the ledger
from core.ledger alone, and the rest of the two landings is the same files; test_fec_pipeline.py follows the worked
example's FEC through to the costs); the head office's own costs, which the FEC holds beyond the ESMS, listed and
never lost. Apart from test_fec_pipeline.py so that it runs on the worker that builds the demo (tests/conftest.py
groups the files by session landing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Warehouse, run_pipeline

# the ledger as the cost models read it: each account's amount per ESMS, year and analytic section
LEDGER = "select finess_et, year, account, section, round(sum(amount), 2) from core.ledger group by all order by all"


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory) -> Warehouse:
    """The demo of the `demo` fixture (same seed and size) with its ledger as ledger.xlsx, the CSV route, validated
    (`serafin validate`: through core)."""
    from pipelines.demo.generate import GeneratorConfig, generate

    work = tmp_path_factory.mktemp("demo_csv")
    generate(work / "landing", GeneratorConfig(persons=400, years=[2024, 2025], seed=7, fhir=True, ledger_as="xlsx"))
    assert not (work / "landing" / "comptabilite").exists()
    ok, reason, warehouse = run_pipeline(work / "landing", work, validate_only=True)
    assert ok, reason
    return Warehouse(warehouse)


def _files(landing: Path) -> dict[str, bytes]:
    return {str(p.relative_to(landing)): p.read_bytes() for p in sorted(landing.rglob("*"))
            if p.is_file() and p.parts[len(landing.parts)] not in ("comptabilite", "comptabilite.yaml")
            and p.name != "ledger.xlsx"}


def test_demo_ledger_is_the_same_through_the_fec_and_the_csv_route(demo, demo_csv):
    assert demo.scalar("select count(*) from audit.ingestion_log where format = 'fec'") == 2
    assert demo_csv.scalar("select count(*) from audit.ingestion_log where format = 'fec'") == 0
    fec, csv = demo.rows(LEDGER), demo_csv.rows(LEDGER)
    assert len(fec) > 100 and fec == csv
    # every other input of the two landings is the same file: the same ledger gives the same costs
    assert _files(demo.path.parent / "landing") == _files(demo_csv.path.parent / "landing")


def test_demo_head_office_is_listed_not_lost(demo):
    # the head office's own costs a year (pipelines/demo/fec.py): 18 500 + 96 000 + 14 400
    assert demo.rows("select year, sum(amount), min(code) from audit.fec_unassigned group by year order by year") == [
        (2024, 128900, "SIEGE"), (2025, 128900, "SIEGE")]
