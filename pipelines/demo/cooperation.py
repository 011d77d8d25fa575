"""cooperation.yaml for the demo gestionnaire: the children's and adults' services of the first ESMS form a
plateforme de services coordonnés with three partners, and steer five objectives (inclusion, coordination,
needs coverage, project reviews, cost per place) with yearly targets."""

from __future__ import annotations

from pathlib import Path

# the plateforme's three strategic objectives and the operational objectives under each
STRATEGIC = [
    "strategic_objectives:",
    "  - id: S1",
    "    label: Accompagner vers le droit commun",
    "    objectives: [O1, O2]",
    "  - id: S2",
    "    label: Des parcours sans rupture, des projets co-construits",
    "    objectives: [O3, O4]",
    "  - id: S3",
    "    label: Un accompagnement efficient",
    "    objectives: [O5]",
]


def write_cooperation(out: Path, esms: list[dict], partners: list[list], years: list[int]) -> None:
    members = esms[: min(4, len(esms))]
    lines = ["name: Plateforme Rhône-Sud",
             "finality: >",
             "  Permettre à chaque personne accompagnée de vivre en milieu ordinaire autant qu'elle le souhaite,",
             "  sans rupture de parcours.",
             "members:"]
    for i, e in enumerate(members):
        lines.append(f'  - finess_et: "{e["finess_et"]}"')
        lines.append(f"    role: {'porteur' if i == 0 else 'membre'}")
    lines.append("partners: [" + ", ".join(p[0] for p in partners[:3]) + "]")
    lines += STRATEGIC + _objectives(members[0]["finess_et"], years)
    (out / "cooperation.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _objectives(porteur: str, years: list[int]) -> list[str]:
    """The five objectives, each with a yearly target moving by a fixed step from its first year."""

    def targets(start: float, step: float) -> str:
        return "{" + ", ".join(f"{y}: {start + step * i:.2f}" for i, y in enumerate(years)) + "}"

    return [
        "objectives:",
        "  - id: O1",
        "    label: Part des heures d'accompagnement en milieu ordinaire",
        "    indicator: inclusion_share",
        "    scope: platform",
        "    direction: increase",
        f"    targets: {targets(0.45, 0.03)}",
        "    owner: Comité de pilotage",
        "  - id: O2",
        "    label: Personnes suivies par plusieurs intervenants dont le parcours est coordonné",
        "    indicator: coordination_rate",
        "    scope: platform",
        "    direction: increase",
        f"    targets: {targets(0.30, 0.10)}",
        "  - id: O3",
        "    label: Besoins évalués couverts par une prestation",
        "    indicator: needs_coverage_rate",
        "    scope: platform",
        "    direction: increase",
        f"    targets: {targets(0.55, 0.025)}",
        "    tolerance: 0.05",
        "  - id: O4",
        "    label: Projets personnalisés actualisés dans l'année",
        "    indicator: pp_review_rate",
        f'    scope: "{porteur}"',
        "    direction: increase",
        f"    targets: {targets(0.75, 0.05)}",
        "  - id: O5",
        "    label: Coût par place",
        "    indicator: cost_per_place",
        "    scope: platform",
        "    direction: decrease",
        f"    targets: {targets(50000, 500)}",
        "    owner: Direction financière",
    ]
