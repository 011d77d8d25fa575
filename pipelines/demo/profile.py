"""The synthetic gestionnaire's profile: categories of ESMS with their size and rhythm of work, the
prestations of each category, the staff mix and the codes drawn; and the generator's settings."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stdnum import luhn

# category: (code, places, staff FTE per place, persons per place over a year, modality, weekly
#            individual events, weekly collective events, settings of direct work)
CATEGORIES = {
    "IME": ("183", 40, 0.40, 1.15, "semi_internat", 2, 3, ["structure", "structure", "ecole", "cite"]),
    "SESSAD": ("182", 45, 0.20, 1.3, "ambulatoire", 3, 0, ["ecole", "domicile", "structure", "cite"]),
    "MAS": ("255", 40, 1.05, 1.05, "internat", 3, 3, ["structure", "structure", "structure", "cite"]),
    "FAM": ("437", 35, 0.75, 1.05, "internat", 2, 3, ["structure", "structure", "cite", "domicile"]),
    "ESAT": ("246", 80, 0.19, 1.1, "externat", 1, 2, ["structure", "entreprise", "entreprise", "structure"]),
    "SAVS": ("446", 60, 0.095, 1.3, "ambulatoire", 1, 0, ["domicile", "cite", "cite", "domicile"]),
}
ORDER = ["IME", "SESSAD", "MAS", "FAM", "ESAT", "SAVS"]

# direct prestations by category: (code, minutes, weight) for individual and collective events
INDIVIDUAL = {
    "IME": [("2.1.2.1", 45, 3), ("2.1.1.3", 45, 2), ("2.2.1", 60, 3), ("2.3.3.1", 60, 2), ("2.4.1", 30, 1)],
    "SESSAD": [("2.1.2.1", 45, 4), ("2.1.1.3", 45, 2), ("2.3.3.1", 60, 4), ("2.2.2", 60, 2), ("2.4.1", 45, 1)],
    "MAS": [("2.1.1.2", 30, 4), ("2.2.1", 60, 5), ("2.1.2.1", 45, 2), ("2.1.1.1", 30, 1)],
    "FAM": [("2.1.1.2", 30, 3), ("2.2.1", 60, 4), ("2.2.2", 45, 2), ("2.1.1.3", 45, 1)],
    "ESAT": [("2.3.3.3", 60, 3), ("2.3.3.2", 60, 2), ("2.4.1", 30, 1)],
    "SAVS": [("2.3.2.1", 60, 3), ("2.3.5.2", 60, 2), ("2.3.4.2", 90, 2), ("2.4.1", 45, 1)],
}
COLLECTIVE = {
    "IME": [("2.3.3.1", 120, 3), ("2.2.2", 90, 2), ("2.3.4.2", 120, 1)],
    "MAS": [("2.3.3.4", 120, 3), ("2.3.4.2", 120, 2), ("2.2.2", 60, 1)],
    "FAM": [("2.3.3.4", 120, 3), ("2.3.4.2", 120, 2)],
    "ESAT": [("2.3.3.3", 210, 4), ("2.3.3.2", 120, 1)],
}
# staff: (profession, share of direct FTE or fixed FTE, cost of one FTE with employer charges, records time)
DIRECT_STAFF = [("educateur_specialise", 0.30, 46000), ("moniteur_educateur", 0.15, 40000),
                ("aes", 0.20, 36000), ("psychologue", 0.05, 56000), ("orthophoniste", 0.05, 50000),
                ("psychomotricien", 0.05, 48000), ("infirmier", 0.08, 49000), ("aide_soignant", 0.10, 37000),
                ("medecin", 0.02, 115000)]
ESAT_STAFF = [("moniteur_atelier", 0.7, 42000), ("educateur_technique", 0.2, 45000), ("job_coach", 0.1, 44000)]
SAVS_STAFF = [("educateur_specialise", 0.5, 46000), ("conseiller_esf", 0.3, 42000), ("assistant_social", 0.2, 44000)]
SUPPORT_STAFF = [("directeur", 1.0, 98000), ("chef_de_service", 1.0, 66000), ("secretaire", 1.0, 38000),
                 ("comptable", 0.5, 45000), ("agent_entretien", 1.0, 33000), ("cuisinier", 1.0, 37000),
                 ("chauffeur", 1.0, 35000), ("lingere", 0.5, 32000), ("surveillant_nuit", 2.0, 36000)]
NEED_CODES = ["1.1.1", "1.1.2", "1.1.8", "1.1.10", "1.2.1.1", "1.2.1.2", "1.2.1.3", "1.2.1.4", "1.3.1.1",
              "1.3.2.1", "1.3.3.1", "1.3.3.2", "1.3.3.3", "1.3.4.1", "1.3.4.2", "1.3.5.1"]
DISABILITIES = ["deficience_intellectuelle", "autisme_ted", "troubles_psychiques", "polyhandicap",
                "deficience_motrice", "troubles_comportement"]


@dataclass
class GeneratorConfig:
    persons: int = 600
    years: list[int] = field(default_factory=lambda: [2023, 2024, 2025])
    seed: int = 42
    esms: int = 6
    activity_rows: int | None = None  # target size of activity (scales events per person-week)
    messy_share: float = 0.5  # share of monthly activity files written as French exports
    bad_rows: bool = True
    fhir: bool = False  # the last month of activity as TDDUI FHIR files (pipelines/demo/fhir_export.py)
    ledger_as: str = "fec"  # fec: the gestionnaire's FEC (pipelines/demo/fec.py); xlsx: ledger.xlsx


def finess(rng: random.Random, dept: str = "69") -> str:
    base = dept + "".join(str(rng.randint(0, 9)) for _ in range(6))
    return base + luhn.calc_check_digit(base)
