"""persons.csv (as a French DUI exports it, names included: the ingestion drops them) and stays.csv."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from pipelines.demo.files import write_csv
from pipelines.demo.profile import CATEGORIES, DISABILITIES, GeneratorConfig


def write_persons_and_stays(out: Path, esms: list[dict], config: GeneratorConfig,
                            rng: random.Random) -> tuple[list[list], list[list]]:
    """persons.csv and stays.csv over the years of `config`; the rows drawn (persons, stays)."""
    years = sorted(config.years)
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    # residential ESMS (MAS, FAM) keep their residents for years: each place is a chain of residents, a new
    # one a few weeks after the last left, so the file active stays close to the places; the persons asked
    # for are spread over the other ESMS by places and yearly turnover, capped
    residential = [CATEGORIES[e["category"]][4] == "internat" for e in esms]
    weights = [0 if r else e["places"] * CATEGORIES[e["category"]][3] for e, r in zip(esms, residential)]
    total_w = sum(weights) or 1
    roster = _Roster(rng, years[-1], first, last)
    for e, w, is_residential in zip(esms, weights, residential):
        if is_residential:
            roster.residents(e)
        else:
            # at most 1.4 times the persons a year of the category brings, so that a year's file active stays
            # close to the places (IME, SESSAD) or to the usual caseload of a service (SAVS, ESAT)
            roster.entrants(e, max(1, min(round(config.persons * w / total_w), round(w * 1.4))))
    write_persons_file(out, roster.persons)
    write_csv(out / "stays.csv", ["stay_id", "person_id", "finess_et", "start_date", "end_date", "modality",
                                   "exit_reason"], roster.stays)

    return roster.persons, roster.stays


class _Roster:
    """The persons and stays drawn so far, from one random generator in a fixed order; a stay's id is its
    person's number (S000012 for U000012)."""

    def __init__(self, rng: random.Random, last_year: int, first: date, last: date):
        self.rng, self.last_year, self.first, self.last = rng, last_year, first, last
        self.persons: list[list] = []
        self.stays: list[list] = []

    def add_person(self, cat: str) -> str:
        rng, pid = self.rng, len(self.persons) + 1
        adult = cat not in ("IME", "SESSAD")
        birth = rng.randint(1965, 2000) if adult else rng.randint(self.last_year - 19, self.last_year - 5)
        self.persons.append([f"U{pid:06d}", f"NOM{pid}", f"Prénom{pid}",
                             f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{birth}",
                             rng.choice(["F", "M", "M"]), rng.choice(DISABILITIES), "69"])
        return f"U{pid:06d}"

    def add_stay(self, person: str, e: dict, start: date, end: date | None, modality: str) -> None:
        ended = end is not None and end <= self.last
        self.stays.append([f"S{len(self.persons):06d}", person, e["finess_et"], start.isoformat(),
                           end.isoformat() if ended else "", modality, "retour domicile" if ended else ""])

    def residents(self, e: dict) -> None:
        """Each place of a residential ESMS as a chain of residents over the period."""
        rng, first, last, cat = self.rng, self.first, self.last, e["category"]
        for _place in range(e["places"]):
            start = first - timedelta(days=rng.randint(60, 3000))
            while start <= last:
                days = rng.randint(1500, 9000) if rng.random() < 0.85 else rng.randint(200, 1500)
                end = start + timedelta(days=days)
                if end >= first:
                    self.add_stay(self.add_person(cat), e, start, end, CATEGORIES[cat][4])
                start = end + timedelta(days=rng.randint(15, 60))

    def entrants(self, e: dict, n: int) -> None:
        """n persons of a non-residential ESMS, one stay each."""
        rng, first, last, cat = self.rng, self.first, self.last, e["category"]
        for _ in range(n):
            person = self.add_person(cat)
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
            self.add_stay(person, e, start, end, modality)


def write_persons_file(out: Path, persons: list[list]) -> None:
    """persons.csv as a French DUI exports it: names and a date of birth (dropped / reduced to the year)."""
    write_csv(out / "persons.csv",
              ["Identifiant usager", "Nom", "Prénom", "Date de naissance", "Sexe", "Déficience principale",
               "Département"], persons, delimiter=";", encoding="cp1252")
