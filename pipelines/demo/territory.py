"""The territory of the demo gestionnaire: a `finess/` extract in the shape of the ANS open-data feed (the
structures file gzipped, the activities file plain JSON) holding its ESMS among those of four other gestionnaires
of the Rhône and the neighbouring departments (some closed, as in the real directory), the MDPH orientations of
its persons (admitted a few months after their decision) and of persons still waiting, and the population of
the departments by age band.

A generator of its own (seeded from the demo's seed): the other landing files do not change with it."""

from __future__ import annotations

import gzip
import json
import random
from datetime import date, timedelta
from pathlib import Path

from pipelines.demo.files import write_csv
from pipelines.demo.profile import CATEGORIES, finess

# other gestionnaires of the territory: (name, department, categories of their ESMS)
OTHERS = [
    ("ADAPEI DU RHONE", "69", ["IME", "IME", "ESAT", "ESAT", "FAM", "SESSAD", "SAVS"]),
    ("ASSOCIATION LES PAPILLONS BLANCS DE L'AIN", "01", ["IME", "SESSAD", "ESAT", "MAS", "SAVS"]),
    ("FONDATION OVE", "69", ["IME", "MAS", "SESSAD", "FAM"]),
    ("ADAPEI DE LA LOIRE", "42", ["IME", "ESAT", "SAVS", "MAS"]),
]
COMMUNES = {"69": [("69123", "69003", "LYON", 4.85, 45.76), ("69266", "69100", "VILLEURBANNE", 4.88, 45.77),
                   ("69259", "69200", "VENISSIEUX", 4.89, 45.70), ("69264", "69400", "VILLEFRANCHE SUR SAONE",
                                                                    4.72, 45.99)],
            "01": [("01053", "01000", "BOURG EN BRESSE", 5.23, 46.20), ("01004", "01500", "AMBERIEU EN BUGEY",
                                                                         5.36, 45.96)],
            "42": [("42218", "42000", "SAINT ETIENNE", 4.39, 45.43), ("42187", "42300", "ROANNE", 4.07, 46.04)]}
# inhabitants per department and age band (the order of the Rhône, the Ain and the Loire)
POPULATION = {"69": {"0-19": 460_000, "20-59": 960_000, "60 ans et plus": 430_000},
              "01": {"0-19": 165_000, "20-59": 330_000, "60 ans et plus": 170_000},
              "42": {"0-19": 180_000, "20-59": 360_000, "60 ans et plus": 225_000}}
# FINESS activity codes by mode of the category (mode de fonctionnement: 11 internat, 13 semi-internat,
# 16 prestation en milieu ordinaire, 21 accueil de jour)
MODE = {"internat": "11", "semi_internat": "13", "ambulatoire": "16", "externat": "21"}


def _ege(number: str, name: str, category: str, state: str, opened: str, address: dict) -> dict:
    return {"informationsGeneralesEGE": {"numFinessEge": number, "nomEgeLong": name, "nomEgeCourt": name[:38],
                                         "dateOuverture": opened, "dateFermeture": None if state == "A" else "2019-12-31"},
            "categorieentiteGeographiqueExercice": CATEGORIES[category][0], "modefixationtarifaire": "34",
            "adresse": [address], "etatObjet": state}


def _address(commune: tuple, rng: random.Random) -> dict:
    """A site's address in a commune, its coordinates drawn a little around the commune's centre."""
    code, postcode, city, lon, lat = commune
    return {"cogCommune": code, "codePostal": postcode, "ligneAcheminement": city,
            "coordonneesGeographique": {"coordonneeX": f"{lon + rng.uniform(-0.03, 0.03):.6f}",
                                        "coordonneeY": f"{lat + rng.uniform(-0.02, 0.02):.6f}"}}


def _activity(number: str, category: str, places: int, installed: int, activity_id: int) -> dict:
    mode = MODE.get(CATEGORIES[category][4], "16")
    return {"caracteristiquesGeneriques": {"activiteAeId": str(activity_id), "etatObjet": "A",
                                           "dateDebutActiviteAutorisee": "2017-01-01",
                                           "dateFinActiviteAutorisee": None},
            "nature": {"codeNature": "ASMR", "caracteristiquesSpecifiques": {
                "typeActiviteAMSR": {"activiteSocialeRegulee": "841", "modeFonctionnement": mode, "public": "010"}}},
            "capacite": [{"statutCapacite": "09", "nombre": str(places), "uniteMesureCapacite": "02"},
                         {"statutCapacite": "08", "nombre": str(installed), "uniteMesureCapacite": "02"}]}


def write_territory(out: Path, esms: list[dict], gestionnaire: str, stays: list[list], years: list[int],
                    seed: int) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 13)
    structures, activities = [], []
    activity_id = 900000

    def entity(ej: str, name: str, sites: list[tuple]) -> None:
        nonlocal activity_id
        structures.append({"informationsGeneralesPMEJ": {"numFinessPm": ej, "denominationPm": name},
                           "ege": [site[0] for site in sites]})
        egs = []
        for ege, category, places, installed, state in sites:
            number = ege["informationsGeneralesEGE"]["numFinessEge"]
            acts = []
            if state == "A":
                activity_id += 1
                acts.append(_activity(number, category, places, installed, activity_id))
            egs.append({"numFinessEge": number, "activitesExercees": acts})
        activities.append({"numFiness": ej, "ege": egs})

    # the demo gestionnaire: its ESMS as in establishments.csv, all in the Rhône (a region's benchmark: one legal
    # entity per gestionnaire of establishments.csv)
    by_gestionnaire: dict[str, list[dict]] = {}
    for e in esms:
        by_gestionnaire.setdefault(e.get("gestionnaire", gestionnaire), []).append(e)
    for n, (ej, members) in enumerate(by_gestionnaire.items()):
        entity(ej, "ASSOCIATION DEMO RHONE-SUD" + (f" {n + 1}" if n else ""), [
            (_ege(e["finess_et"], e["name"].upper(), e["category"], "A", "2001-09-01",
                  _address(rng.choice(COMMUNES["69"]), rng)),
             e["category"], e["places"], e["places"] - rng.choice([0, 0, 1, 2]), "A") for e in members])
    for name, dept, categories in OTHERS:
        sites = []
        for category in categories:
            state = "I" if rng.random() < 0.12 else "A"
            places = int(CATEGORIES[category][1] * rng.uniform(0.6, 1.5))
            sites.append((_ege(finess(rng, dept), f"{category} {name.split()[-1]} {len(sites) + 1}", category, state,
                               f"{rng.randint(1975, 2015)}-{rng.randint(1, 12):02d}-01",
                               _address(rng.choice(COMMUNES[dept]), rng)), category, places, places - rng.choice([0, 0, 2, 5]), state))
        entity(finess(rng, dept), name, sites)

    folder = out / "finess"
    folder.mkdir(exist_ok=True)
    header = {"schemaVersion": "v1.0.0", "generatedAt": f"{years[-1] + 1}-01-15T02:00:00Z"}
    (folder / "finess-structures-demo.json.gz").write_bytes(gzip.compress(json.dumps(
        {**header, "gco": [], "gcc": [], "pmej": structures}, ensure_ascii=False).encode("utf-8"), mtime=0))
    (folder / "finess-activites-demo.json").write_text(json.dumps(
        {**header, "pmej": activities}, ensure_ascii=False), encoding="utf-8")

    orientations = _orientations(esms, stays, years, rng)
    write_csv(out / "orientations.csv", ["usager_id", "departement", "date_decision", "orientation", "statut",
                                         "finess", "date_admission"], orientations, delimiter=";")
    population = [[dept, band, int(count * (1 + 0.004 * (year - years[0]))), year]
                  for dept, bands in POPULATION.items() for band, count in bands.items() for year in years]
    write_csv(out / "population.csv", ["departement", "tranche_age", "population", "annee"], population)
    return {"finess_establishments": sum(len(s["ege"]) for s in structures), "orientations": len(orientations)}


def _orientations(esms: list[dict], stays: list[list], years: list[int], rng: random.Random) -> list[list]:
    """The demo persons' orientations (decided 2 to 9 months before their admission) and persons waiting or whose
    orientation ended without a place, for each category of the gestionnaire."""
    category_of = {e["finess_et"]: e["category"] for e in esms}
    first = date(years[0], 1, 1)
    rows = []
    for stay in stays:
        person, finess_et, start = stay[1], stay[2], date.fromisoformat(stay[3])
        if start < first:
            continue
        decision = start - timedelta(days=rng.randint(60, 270))
        rows.append([person, "69", decision.strftime("%d/%m/%Y"), category_of[finess_et], "admis", finess_et,
                     start.strftime("%d/%m/%Y")])
    waiting = 0
    for e in esms:
        for _ in range(max(6, int(e["places"] * rng.uniform(0.4, 0.9)))):  # waiting lists of the sector's order
            waiting += 1
            decision = date(years[-1], 12, 31) - timedelta(days=rng.randint(20, 900))
            status = rng.choices(["en_attente", "sans_suite", "refus"], [0.8, 0.12, 0.08])[0]
            rows.append([f"W{waiting:05d}", rng.choice(["69"] * 6 + ["01"]), decision.strftime("%d/%m/%Y"),
                         e["category"], status, "", ""])
    return rows
