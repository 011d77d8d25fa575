"""Tables and key columns of the data contract (data-contract section 6), as the tests check them: a table
of the warehouse may carry more columns, never fewer. Tables of features not built yet are listed too, so a
test can name the ones it expects."""

from __future__ import annotations

import duckdb

CONTRACT: dict[str, tuple[str, ...]] = {
    "marts.cost_per_prestation": ("finess_et", "year", "prestation_code", "professional_hours", "persons",
                                  "direct_cost", "overhead_cost", "full_cost", "cost_per_hour", "estimated_hours",
                                  "cost_per_estimated_hour"),
    "marts.traceability": ("finess_et", "year", "profession", "paid_hours", "recorded_hours", "traceability",
                           "untraced_staff_cost", "flagged"),
    "marts.person_cost": ("finess_et", "year", "person_id", "direct_cost", "logistics_cost", "total_cost"),
    "marts.cost_reconciliation": ("finess_et", "year", "charges_total", "charges_excluded", "charges_hors_champ",
                                  "charges_in_scope", "personnel_ledger", "staff_cost", "personnel_gap",
                                  "allocated_to_persons", "unallocated", "delta"),
    "marts.unallocated_cost": ("finess_et", "year", "section", "amount", "reason"),
    "marts.needs_coverage": ("person_id", "year", "need_code", "level", "covered", "hours"),
    "marts.indicators": ("scope", "year", "indicator_id", "value", "numerator", "denominator"),
    "marts.action_cost": ("finess_et", "year", "event_id", "professional_id", "prestation_code", "started_at",
                          "hours", "persons", "full_cost", "staff_cost", "cost_per_person"),
    "marts.person_action_cost": ("person_id", "event_id", "professional_id", "finess_et", "year",
                                 "prestation_code", "cost"),
    "marts.objectives": ("objective_id", "year", "indicator_id", "scope", "direction", "target", "actual",
                         "numerator", "denominator", "gap", "status"),
    "marts.funding_scenario": ("scenario", "finess_et", "year", "baseline_funding", "scenario_funding", "delta",
                               "delta_share"),
    "marts.funding_scenario_detail": ("scenario", "finess_et", "year", "rule"),
    "marts.funding_sensitivity": ("scenario", "finess_et", "year", "rule", "direction", "scenario_funding"),
    "core.establishments": ("finess_et", "name", "category"),
    "core.persons": ("person_id",),
    "core.stays": ("stay_id", "person_id", "finess_et", "start_date", "end_date", "modality"),
    "core.needs": ("person_id", "assessed_on", "need_code", "level"),
    "core.plans": ("plan_id", "person_id", "prestation_code", "start_date"),
    "core.activity": ("event_id", "person_id", "finess_et", "professional_id", "prestation_code", "started_at",
                      "ended_at", "duration_min", "status"),
    "core.staff": ("professional_id", "finess_et", "year", "profession", "annual_cost"),
    "core.ledger": ("finess_et", "year", "account", "amount"),
    "core.partners": ("partner_id", "name", "kind"),
    "core.conventions": ("convention_id", "partner_id", "finess_et", "start_date"),
    "ref.serafin_codes": ("code", "label", "kind", "parent_code", "level"),
    "ref.code_aliases": ("alias", "code"),
    "audit.rejected_rows": ("source_table", "file", "line", "column_name", "value", "reason"),
    "audit.unmapped_events": ("event_id", "file"),
    "audit.ingestion_log": ("file", "sha256", "rows_read", "rows_loaded", "rows_rejected"),
}


def shortfalls(warehouse, tables) -> list[str]:
    """One line per listed contract table that is missing or lacks columns; empty when all meet it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        have: dict[str, set[str]] = {}
        for schema, table, column in con.execute(
                "select table_schema, table_name, column_name from information_schema.columns").fetchall():
            have.setdefault(f"{schema}.{table}", set()).add(column)
    problems = []
    for table in tables:
        if table not in have:
            problems.append(f"{table}: missing table")
        elif missing := [c for c in CONTRACT[table] if c not in have[table]]:
            problems.append(f"{table}: missing columns {', '.join(missing)}")
    return problems
