"""Synthetic landing data for one gestionnaire: ESMS of several categories, persons, stays, needs,
plans, activity, staff, ledger, partners and conventions, over several years.

Small tables are drawn in Python (seeded). Activity, the large table, is generated set-based in
DuckDB from hashes of (seed, keys), so it is deterministic and scales to millions of rows without
holding them in Python. Half the monthly activity files, staff and the persons file are written as
French software exports them (`;`, Windows-1252, French headers, decimal comma, DD/MM/YYYY); the
ledger is the gestionnaire's FEC (or an Excel workbook, `ledger_as="xlsx"`). A handful of bad rows show the quarantine at work.
"""

from __future__ import annotations

import random
import shutil
from datetime import date
from pathlib import Path

from pipelines.demo.activity import write_activity
from pipelines.demo.bad_rows import add_bad_rows
from pipelines.demo.cooperation import write_cooperation
from pipelines.demo.dsn import write_dsn
from pipelines.demo.establishments import write_establishments
from pipelines.demo.fec import write_fec
from pipelines.demo.fhir_export import write_fhir
from pipelines.demo.needs_plans import write_needs_and_plans
from pipelines.demo.partners import write_partners_and_conventions
from pipelines.demo.persons import write_persons_and_stays, write_persons_file
from pipelines.demo.profile import GeneratorConfig
from pipelines.demo.scenarios import write_cpom, write_scenarios
from pipelines.demo.staff_ledger import write_staff_and_ledger
from pipelines.demo.territory import write_territory

__all__ = ["GeneratorConfig", "generate"]


def generate(out: Path, config: GeneratorConfig | None = None) -> dict[str, int]:
    """Write a landing folder; one module per table (or pair of tables drawn together), called in a fixed
    order so that one seed always gives the same files."""
    config = config or GeneratorConfig()
    if not config.years:
        config.years = [2023, 2024, 2025]
    rng = random.Random(config.seed)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    years = sorted(config.years)
    last = date(years[-1], 12, 31)

    esms = write_establishments(out, config, rng)
    persons, stays = write_persons_and_stays(out, esms, config, rng)
    needs, plans = write_needs_and_plans(out, stays, rng, years, last)
    staff, ledger, staff_ids = write_staff_and_ledger(out, esms, rng, years)
    if config.ledger_as == "fec":  # the accounts as the gestionnaire has them, instead of ledger.xlsx
        (out / "ledger.xlsx").unlink()
        write_fec(out, esms, ledger, years)
    write_dsn(out, esms, staff, config.seed)  # the payroll as twelve monthly DSN per ESMS, not staff.csv
    partners = write_partners_and_conventions(out, esms, years)
    activity_rows = write_activity(out, esms, stays, staff_ids, years, config)
    if config.fhir:  # the last month as TDDUI FHIR files; its persons leave persons.csv for Patient resources
        months = sorted((out / "activity").glob("activite_*.csv"))
        moved = write_fhir(out, months[-1], esms, persons)
        write_persons_file(out, [p for p in persons if p[0] not in moved])
    write_cooperation(out, esms, partners, years)
    write_scenarios(out)
    write_cpom(out, esms, years)
    territory = write_territory(out, esms, esms[0]["gestionnaire"], stays, years, config.seed)
    if config.bad_rows:
        add_bad_rows(out, esms, staff_ids)
    return {"establishments": len(esms), "persons": len(persons), "stays": len(stays), "needs": len(needs),
            "plans": len(plans), "staff": len(staff), "ledger": len(ledger), "activity": activity_rows, **territory}
