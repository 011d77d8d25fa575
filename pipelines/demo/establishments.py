"""establishments.csv: the gestionnaire's ESMS, one of each category in turn. Past 20 ESMS (a region: benchmarks,
`--esms 500`), a new gestionnaire every 10 ESMS."""

from __future__ import annotations

import random
from pathlib import Path

from pipelines.demo.files import write_csv
from pipelines.demo.profile import CATEGORIES, ORDER, GeneratorConfig, finess


def write_establishments(out: Path, config: GeneratorConfig, rng: random.Random) -> list[dict]:
    gestionnaire = finess(rng)
    esms = []
    for i in range(config.esms):
        if config.esms > 20 and i and i % 10 == 0:
            gestionnaire = finess(rng)
        cat = ORDER[i % len(ORDER)]
        code, places = CATEGORIES[cat][0], CATEGORIES[cat][1]
        places = int(places * (1 + 0.15 * ((i // len(ORDER)) % 4)))
        place_name = ["Les Tilleuls", "Le Rhône", "Les Cèdres", "La Source", "Le Moulin", "Les Prés"][i % 6]
        esms.append({"finess_et": finess(rng), "name": f"{cat} {place_name}" + (f" {i // 6 + 1}" if i >= 6 else ""),
                     "category": cat, "category_code": code, "places": places, "gestionnaire": gestionnaire})
    write_csv(out / "establishments.csv",
               ["finess_et", "name", "category", "gestionnaire", "department", "authorized_places", "funder"],
               [[e["finess_et"], e["name"], e["category_code"] + " - " + e["category"], e["gestionnaire"], "69",
                 e["places"], "ARS" if e["category"] in ("IME", "SESSAD", "MAS", "ESAT") else "ARS_CD"]
                for e in esms])

    return esms
