"""The demo's ledger through both routes (issue 37): as the gestionnaire's FEC (the session's `demo`) and as
ledger.xlsx (built here), the same costs to the cent; the head office's own costs, which the FEC holds beyond the
ESMS, listed and never lost. Apart from test_fec_pipeline.py so that it runs on the worker that builds the demo
(tests/conftest.py groups the files by session landing)."""

from __future__ import annotations

import pytest

from tests.conftest import Warehouse, run_pipeline
from tests.costs import assert_same_costs


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory) -> Warehouse:
    """The demo of the `demo` fixture (same seed and size) with its ledger as ledger.xlsx, the CSV route."""
    from pipelines.demo.generate import GeneratorConfig, generate

    work = tmp_path_factory.mktemp("demo_csv")
    generate(work / "landing", GeneratorConfig(persons=400, years=[2024, 2025], seed=7, fhir=True, ledger_as="xlsx"))
    assert not (work / "landing" / "comptabilite").exists()
    ok, reason, warehouse = run_pipeline(work / "landing", work)
    assert ok, reason
    return Warehouse(warehouse)


def test_demo_costs_are_the_same_through_the_fec_and_the_csv_route(demo, demo_csv):
    assert demo.scalar("select count(*) from audit.ingestion_log where format = 'fec'") == 2
    assert demo_csv.scalar("select count(*) from audit.ingestion_log where format = 'fec'") == 0
    assert_same_costs(demo, demo_csv)


def test_demo_head_office_is_listed_not_lost(demo):
    # the head office's own costs a year (pipelines/demo/fec.py): 18 500 + 96 000 + 14 400
    assert demo.rows("select year, sum(amount), min(code) from audit.fec_unassigned group by year order by year") == [
        (2024, 128900, "SIEGE"), (2025, 128900, "SIEGE")]
