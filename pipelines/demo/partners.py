"""partners.csv and conventions.csv: five partners of the territory, one convention per ESMS."""

from __future__ import annotations

from pathlib import Path

from pipelines.demo.files import write_csv


def write_partners_and_conventions(out: Path, esms: list[dict], years: list[int]) -> list[list]:
    partners = [["PART01", "Collège Jean Moulin", "education", "", "69"],
                ["PART02", "Centre hospitalier Le Vinatier (CMP)", "sanitaire", "690780101", "69"],
                ["PART03", "Entreprise adaptée Rhône Services", "emploi", "", "69"],
                ["PART04", "Mairie de Villeurbanne - service des sports", "collectivite", "", "69"],
                ["PART05", "Association Loisirs Pluriel", "loisirs_culture", "", "69"]]
    write_csv(out / "partners.csv", ["partner_id", "name", "kind", "finess", "department"], partners)
    conventions = []
    for i, e in enumerate(esms):
        partner = partners[i % len(partners)]
        conventions.append([f"CONV{i + 1:03d}", partner[0], e["finess_et"], f"{years[0] - 1}-09-01", "",
                            "partenariat", "2.3.3.1|2.3.4.2" if partner[2] in ("education", "loisirs_culture")
                            else "2.1.1.3|2.4.1"])
    write_csv(out / "conventions.csv", ["convention_id", "partner_id", "finess_et", "start_date", "end_date", "kind",
                                         "prestation_codes"], conventions)

    return partners
