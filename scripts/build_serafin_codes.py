"""Re-derive nomenclatures/serafin_codes.csv from the official ANS value sets.

Usage: python scripts/build_serafin_codes.py [REFERENCE_DIR]
REFERENCE_DIR defaults to nomenclatures/source/ (copies of the ANS FHIR ValueSet JSON files
J283 prestations indirectes, J284 prestations directes, J285 besoins, as published).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VALUE_SETS = {
    "JDV-J285-Besoins-SERAFIN.json": "besoin",
    "JDV-J284-PrestationsDirects-SERAFIN.json": "prestation_directe",
    "JDV-J283-PrestationsIndirects-SERAFIN.json": "prestation_indirecte",
}
SYSTEM = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"


def code_sort_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


def read_value_sets(ref_dir: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for file_name, kind in VALUE_SETS.items():
        value_set = json.loads((ref_dir / file_name).read_text(encoding="utf-8"))
        for include in value_set["compose"]["include"]:
            if include.get("system") != SYSTEM:
                continue
            for concept in include.get("concept", []):
                code = concept["code"].strip()
                parts = code.split(".")
                rows.append({
                    "code": code,
                    "label": " ".join(concept["display"].split()),
                    "kind": kind,
                    "parent_code": ".".join(parts[:-1]),
                    "level": len(parts),
                })
    codes = {row["code"] for row in rows}
    orphans = [row["code"] for row in rows if row["parent_code"] and row["parent_code"] not in codes]
    if orphans:
        raise SystemExit(f"codes whose parent is not in the value sets: {orphans}")
    return sorted(rows, key=lambda row: code_sort_key(str(row["code"])))


def main(argv: list[str]) -> int:
    ref_dir = Path(argv[0]) if argv else ROOT / "nomenclatures" / "source"
    rows = read_value_sets(ref_dir)
    out = ROOT / "nomenclatures" / "serafin_codes.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "label", "kind", "parent_code", "level"])
        writer.writeheader()
        writer.writerows(rows)
    counts = {kind: sum(1 for row in rows if row["kind"] == kind) for kind in VALUE_SETS.values()}
    print(f"wrote {out} ({len(rows)} codes: {counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
