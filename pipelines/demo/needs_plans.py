"""needs.csv and plans.csv: one assessment and one projet personnalisé per person and year."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from pipelines.demo.files import write_csv
from pipelines.demo.profile import NEED_CODES


def write_needs_and_plans(out: Path, stays: list[list], rng: random.Random, years: list[int],
                          last: date) -> tuple[list[list], list[list]]:
    needs, plans = [], []
    align = alignment()
    for s in stays:
        person, finess_et, start = s[1], s[2], date.fromisoformat(s[3])
        end = date.fromisoformat(s[4]) if s[4] else last
        chosen = rng.sample(NEED_CODES, rng.randint(4, 8))
        for y in years:
            if date(y, 12, 31) < start or date(y, 1, 1) > end:
                continue
            assessed = max(start, date(y, 1, 1)) + timedelta(days=rng.randint(0, 120))
            if assessed > min(end, date(y, 12, 31)):
                assessed = max(start, date(y, 1, 1))
            for code in chosen:
                needs.append([person, assessed.isoformat(), code, rng.choice([1, 1, 2, 2, 3, 0]),
                              rng.choice(["mdph", "esms"])])
            for _k, code in enumerate(sorted({align.get(c, "2.2.1") for c in chosen})[:5]):
                reviewed = assessed + timedelta(days=rng.randint(150, 420)) if rng.random() < 0.8 else None
                plans.append([f"PP{person}{y}", person, finess_et, code, f"{rng.choice([1, 1.5, 2, 3])}",
                              assessed.isoformat(), date(y, 12, 31).isoformat(),
                              "|".join(c for c in chosen if align.get(c) == code),
                              "non", rng.choice(["oui", "oui", "oui", "non"]), assessed.isoformat(),
                              reviewed.isoformat() if reviewed and reviewed <= last else ""])
    write_csv(out / "needs.csv", ["person_id", "assessed_on", "need_code", "level", "source"], needs)
    write_csv(out / "plans.csv", ["plan_id", "person_id", "finess_et", "prestation_code", "planned_hours_per_week",
                                   "start_date", "end_date", "need_codes", "is_pag", "co_built", "signed_on",
                                   "reviewed_on"], plans)

    return needs, plans


def alignment() -> dict[str, str]:
    from pipelines.settings import NOMENCLATURES_DIR

    out: dict[str, str] = {}
    with (NOMENCLATURES_DIR / "needs_to_prestations.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["prestation_code"]
            out.setdefault(row["need_code"], code if code.count(".") >= 2 else "2.1.2.1")
    return out


