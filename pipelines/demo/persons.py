"""persons.csv (as a French DUI exports it, names included: the ingestion drops them) and stays.csv."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from pipelines.demo.files import write_csv
from pipelines.demo.profile import CATEGORIES, DISABILITIES, GeneratorConfig


def write_persons_and_stays(out: Path, esms: list[dict], config: GeneratorConfig, rng: random.Random, years: list[int],
                            first: date, last: date) -> tuple[list[list], list[list]]:
    # residential ESMS (MAS, FAM) keep their residents for years: each place is a chain of residents, a new
    # one a few weeks after the last left, so the file active stays close to the places; the persons asked
    # for are spread over the other ESMS by places and yearly turnover, capped
    residential = [CATEGORIES[e["category"]][4] == "internat" for e in esms]
    weights = [0 if r else e["places"] * CATEGORIES[e["category"]][3] for e, r in zip(esms, residential)]
    total_w = sum(weights) or 1
    persons, stays = [], []
    pid = 0

    def add_person(cat: str) -> str:
        nonlocal pid
        pid += 1
        adult = cat not in ("IME", "SESSAD")
        birth = rng.randint(1965, 2000) if adult else rng.randint(years[-1] - 19, years[-1] - 5)
        persons.append([f"U{pid:06d}", f"NOM{pid}", f"Prénom{pid}",
                        f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{birth}",
                        rng.choice(["F", "M", "M"]), rng.choice(DISABILITIES), "69"])
        return f"U{pid:06d}"

    def add_stay(person: str, e: dict, start: date, end: date | None, modality: str) -> None:
        ended = end is not None and end <= last
        stays.append([f"S{pid:06d}", person, e["finess_et"], start.isoformat(), end.isoformat() if ended else "",
                      modality, "retour domicile" if ended else ""])

    for e, w, is_residential in zip(esms, weights, residential):
        cat = e["category"]
        if is_residential:
            for _place in range(e["places"]):
                start = first - timedelta(days=rng.randint(60, 3000))
                while start <= last:
                    days = rng.randint(1500, 9000) if rng.random() < 0.85 else rng.randint(200, 1500)
                    end = start + timedelta(days=days)
                    if end >= first:
                        add_stay(add_person(cat), e, start, end, CATEGORIES[cat][4])
                    start = end + timedelta(days=rng.randint(15, 60))
            continue
        # at most 1.4 times the persons a year of the category brings, so that a year's file active stays
        # close to the places (IME, SESSAD) or to the usual caseload of a service (SAVS, ESAT)
        n = max(1, min(round(config.persons * w / total_w), round(w * 1.4)))
        for _ in range(n):
            person = add_person(cat)
            # more than half were there before the period; others enter during it; some leave
            if rng.random() < 0.55:
                start = first - timedelta(days=rng.randint(30, 2000))
            else:
                start = first + timedelta(days=rng.randint(0, (last - first).days - 60))
            end = start + timedelta(days=rng.randint(200, 1800)) if rng.random() < 0.35 else None
            if end and end < first:
                end = first + timedelta(days=rng.randint(30, 300))
            modality = CATEGORIES[cat][4]
            if cat == "IME" and rng.random() < 0.10:
                modality = "internat"
            add_stay(person, e, start, end, modality)
    write_persons_file(out, persons)
    write_csv(out / "stays.csv", ["stay_id", "person_id", "finess_et", "start_date", "end_date", "modality",
                                   "exit_reason"], stays)

    return persons, stays


def write_persons_file(out: Path, persons: list[list]) -> None:
    """persons.csv as a French DUI exports it: names and a date of birth (dropped / reduced to the year)."""
    write_csv(out / "persons.csv",
              ["Identifiant usager", "Nom", "Prénom", "Date de naissance", "Sexe", "Déficience principale",
               "Département"], persons, delimiter=";", encoding="cp1252")
