"""scenarios/*.yaml for the demo: two contrasting funding models a finance director would compare with
today's dotation (docs' scenarios.md):
- an activity-based one: a small base, every hour of direct prestation at the median cost per recorded hour
  (marts.cost_per_prestation.cost_per_hour, not the cost per estimated hour) of the ESMS's category, lodging
  per night and meals and transport per presence day;
- a needs-based one: a larger base, an amount per place, complements by the persons' needs levels, hours in
  ordinary settings and coordination paid apart, and a shift of 15 % of the social participation hours from
  the structure to the city."""

from __future__ import annotations

from pathlib import Path

from pipelines.demo.profile import COLLECTIVE, INDIVIDUAL


def _codes() -> list[str]:
    return sorted({code for table in (INDIVIDUAL, COLLECTIVE) for rows in table.values() for code, *_ in rows})


def write_scenarios(out: Path) -> None:
    folder = out / "scenarios"
    folder.mkdir(exist_ok=True)
    (folder / "01_tarif_horaire_median.yaml").write_text("\n".join(_median_tariff()) + "\n", encoding="utf-8")
    (folder / "02_besoins_milieu_ordinaire.yaml").write_text(NEEDS_BASED, encoding="utf-8")


def _median_tariff() -> list[str]:
    """The activity-based scenario's lines: one per_hour rule per prestation code of the demo."""
    lines = ["name: Tarif horaire médian",
             "description: >",
             "  Socle de 5 % de la dotation actuelle, chaque heure de prestation directe payée au coût médian par",
             "  heure enregistrée (coût complet de la prestation / heures tracées, pas par heure payée estimée) des ESMS",
             "  de la même catégorie, l'hébergement à la nuit, repas et transports à la journée.",
             "rules:",
             "  - kind: base_share",
             "    share: 0.05",
             "    label: Socle"]
    for code in _codes():
        lines += ["  - kind: per_hour",
                  f'    prestation: "{code}"',
                  "    tariff: {percentile: 50, of: cost_per_hour, among: category}"]
    lines += ["  - kind: per_night",
              "    tariff: 25",
              "    label: Hébergement",
              "  - kind: per_presence_day",
              "    tariff: 8",
              "    label: Repas et transports",
              "sensitivity: 0.10"]
    return lines


NEEDS_BASED = """\
name: Besoins et milieu ordinaire
description: >
  Socle de 55 % de la dotation, un forfait par place, des compléments selon le niveau des besoins des
  personnes (santé, autonomie, participation sociale), les heures en milieu ordinaire et la coordination
  payées à part ; 15 % des heures de participation sociale passent de la structure à la cité.
rules:
  - kind: base_share
    share: 0.55
    label: Socle
  - kind: per_place
    amounts: {IME: 9000, SESSAD: 3000, MAS: 22000, FAM: 16000, ESAT: 1500, SAVS: 500}
  - kind: per_need_level
    need: "1.1"
    amounts: {1: 300, 2: 900, 3: 1800}
  - kind: per_need_level
    need: "1.2"
    amounts: {1: 200, 2: 600, 3: 1200}
  - kind: per_need_level
    need: "1.3"
    amounts: {1: 200, 2: 500, 3: 1000}
  - kind: per_hour
    prestation: "2.3"
    settings: [ecole, entreprise, cite, domicile]
    tariff: 45
    label: Participation sociale en milieu ordinaire
  - kind: per_person
    prestation: "2.4.1"
    tariff: 600
    label: Coordination renforcée
shifts:
  - prestation: "2.3"
    from_setting: structure
    to_setting: cite
    share: 0.15
sensitivity: 0.10
"""


def write_cpom(out: Path, esms: list[dict], years: list[int]) -> None:
    """cpom.yaml: the CPOM starts the year after the demo's last year, the needs-based scenario is the target
    funding model, and the first ESMS opens 5 places in the CPOM's second year."""
    (out / "cpom.yaml").write_text(f"""\
# Paramètres de la trajectoire du CPOM (marts.cpom_trajectory); les valeurs absentes viennent de
# nomenclatures/cpom_parameters.csv
start_year: {years[-1] + 1}
personnel_growth: 0.022
other_growth: 0.015
funding_growth: 0.01
target_scenario: Besoins et milieu ordinaire
places:
  - {{finess_et: "{esms[0]['finess_et']}", year: {years[-1] + 2}, change: 5}}
""", encoding="utf-8")
