"""Two warehouses' cost marts compared to the cent (the FEC and CSV routes of the same ledger)."""

from __future__ import annotations

from tests.conftest import Warehouse

# the cost marts and their columns, compared to the cent
COST_MARTS = {
    "cost_reconciliation": "finess_et, year, charges_total, charges_excluded, charges_hors_champ, charges_in_scope, "
                           "personnel_ledger, staff_cost, personnel_gap, allocated_to_persons, unallocated",
    "section_cost": "finess_et, year, section, personnel_cost, other_cost, cost",
    "person_cost": "finess_et, year, person_id, direct_hours, direct_cost, logistics_cost, total_cost",
    "cost_per_prestation": "finess_et, year, prestation_code, professional_hours, direct_cost, overhead_cost, "
                           "full_cost",
}


def costs(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {mart: warehouse.rows(f"select {columns} from marts.{mart} order by all") for mart, columns in COST_MARTS.items()}


def assert_same_costs(one: Warehouse, other: Warehouse) -> None:
    """The same rows, each amount within half a cent (a sum of floats in another order may differ in its last
    bits, never by a cent)."""
    mine, theirs = costs(one), costs(other)
    for mart in COST_MARTS:
        assert len(mine[mart]) == len(theirs[mart]), mart
        for a, b in zip(mine[mart], theirs[mart], strict=True):
            for x, y in zip(a, b, strict=True):
                assert (abs(x - y) < 0.005 if isinstance(x, float) and isinstance(y, float) else x == y), (mart, a, b)
