"""persons.csv (as a French DUI exports it, names included: the ingestion drops them) and stays.csv."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from pipelines.demo.files import write_csv
from pipelines.demo.profile import CATEGORIES, DISABILITIES, GeneratorConfig


def write_persons_and_stays(out: Path, esms: list[dict], config: GeneratorConfig, rng: random.Random, years: list[int],
                            first: date, last: date) -> tuple[list[list], list[list]]:
    weights = [e["places"] * CATEGORIES[e["category"]][3] for e in esms]
    total_w = sum(weights)
    persons, stays = [], []
    pid = 0
    for e, w in zip(esms, weights):
        cat = e["category"]
        n = max(1, round(config.persons * w / total_w))
        for _ in range(n):
            pid += 1
            person = f"U{pid:06d}"
            adult = cat not in ("IME", "SESSAD")
            birth = rng.randint(1965, 2000) if adult else rng.randint(years[-1] - 19, years[-1] - 5)
            persons.append([person, f"NOM{pid}", f"Prénom{pid}", f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{birth}",
                            rng.choice(["F", "M", "M"]), rng.choice(DISABILITIES), "69"])
            # a third were there before the period; others enter during it; some leave
            if rng.random() < 0.55:
                start = first - timedelta(days=rng.randint(30, 2000))
            else:
                start = first + timedelta(days=rng.randint(0, (last - first).days - 60))
            end = start + timedelta(days=rng.randint(200, 1800)) if rng.random() < 0.35 else None
            if end and end < first:
                end = first + timedelta(days=rng.randint(30, 300))
            modality = CATEGORIES[cat][4]
            if cat == "IME" and rng.random() < 0.25:
                modality = "internat"
            if cat == "FAM" and rng.random() < 0.2:
                modality = "accueil_de_jour"
            stays.append([f"S{pid:06d}", person, e["finess_et"], start.isoformat(),
                          end.isoformat() if end and end <= last else "", modality,
                          "retour domicile" if end and end <= last else ""])
    # persons file as a French DUI exports it: names and a date of birth (dropped / reduced to the year)
    write_csv(out / "persons.csv",
               ["Identifiant usager", "Nom", "Prénom", "Date de naissance", "Sexe", "Déficience principale",
                "Département"], persons, delimiter=";", encoding="cp1252")
    write_csv(out / "stays.csv", ["stay_id", "person_id", "finess_et", "start_date", "end_date", "modality",
                                   "exit_reason"], stays)

    return persons, stays
