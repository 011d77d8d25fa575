"""The demo's payroll comes as twelve monthly DSN per ESMS and year (pipelines/demo/dsn.py): the staff table the
pipeline builds from them equals the staff figures the demo draws (what staff.csv held) to the cent, and the DSN's
matricules meet the activity files' intervenants once both are pseudonymised."""

from __future__ import annotations

import hashlib
import hmac
import os
import random
from datetime import date

from pipelines.demo.establishments import write_establishments
from pipelines.demo.needs_plans import write_needs_and_plans
from pipelines.demo.persons import write_persons_and_stays
from pipelines.demo.profile import GeneratorConfig
from pipelines.demo.staff_ledger import write_staff_and_ledger


def _professional(local: str) -> str:
    key = os.environ["SERAFIN_PSEUDONYM_KEY"].strip().encode()
    return "S" + hmac.new(key, local.encode(), hashlib.sha256).hexdigest()[:20]


def _staff_figures(tmp_path) -> list[list]:
    """The staff figures of the demo of tests/conftest.py (persons 400, 2024-2025, seed 7), drawn again by the same
    first steps as pipelines/demo/generate.py (one random generator, in that order)."""
    config = GeneratorConfig(persons=400, years=[2024, 2025], seed=7, fhir=True)
    rng = random.Random(config.seed)
    esms = write_establishments(tmp_path, config, rng)
    _, stays = write_persons_and_stays(tmp_path, esms, config, rng)
    write_needs_and_plans(tmp_path, stays, rng, config.years, date(2025, 12, 31))
    staff, _, _ = write_staff_and_ledger(tmp_path, esms, rng, config.years)
    return staff


def test_the_staff_from_the_demo_dsn_is_the_staff_drawn_to_the_cent(demo, tmp_path):
    landing = demo.path.parent / "landing"
    assert not (landing / "staff.csv").exists() and len(list((landing / "dsn").rglob("*.dsn"))) == 6 * 2 * 12
    expected = {(_professional(pid), finess, year): (profession, round(fte, 4), round(cost, 2))
                for pid, finess, year, profession, fte, cost in _staff_figures(tmp_path)}
    got = {(p, f, y): (profession, float(fte), float(cost)) for p, f, y, profession, fte, cost in demo.rows(
        "select professional_id, finess_et, year, profession, fte, annual_cost from core.staff")}
    assert len(got) == len(expected) > 100
    assert got == expected
    assert demo.scalar("select count(*) from audit.rejected_rows where source_table in ('staff', 'dsn_contracts')") == 0
    # every DSN contract row is counted in the ingestion log; the staff table came from the DSN only
    assert demo.scalar("select sum(rows_loaded) from audit.ingestion_log where source_table = 'dsn_contracts'") == \
        demo.scalar("select count(*) from raw.dsn_contracts")


def test_the_dsn_matricules_meet_the_activity_intervenants(demo):
    # the activity files' intervenant (CSV and FHIR) and the DSN's matricule: one pseudonym, prefix S
    assert demo.scalar("select count(distinct professional_id) from core.activity "
                       "where professional_id not in (select professional_id from core.staff)") == 0
    assert demo.scalar("select count(*) from core.activity where not regexp_matches(professional_id, "
                       "'^S[0-9a-f]{20}$')") == 0
