"""staff.csv (French export) and ledger.xlsx: per ESMS and year, a ledger whose personnel charges match
the staff table."""

from __future__ import annotations

import random
from pathlib import Path

from pipelines.demo.files import fr_amount, fr_decimal, write_csv, write_xlsx
from pipelines.demo.profile import CATEGORIES, DIRECT_STAFF, ESAT_STAFF, SAVS_STAFF, SUPPORT_STAFF


def write_staff_and_ledger(out: Path, esms: list[dict], rng: random.Random,
                           years: list[int]) -> tuple[list[list], list[list], dict[str, list[tuple[str, str, float]]]]:
    staff, ledger = [], []
    staff_ids: dict[str, list[tuple[str, str, float]]] = {}
    for e in esms:
        cat = e["category"]
        direct_fte = e["places"] * CATEGORIES[cat][2]
        mix = ESAT_STAFF if cat == "ESAT" else SAVS_STAFF if cat == "SAVS" else DIRECT_STAFF
        members = []
        n = 0
        for profession, share, cost in mix:
            fte_total = direct_fte * share
            while fte_total > 0.05:
                n += 1
                fte = min(1.0, round(fte_total, 2))
                members.append((f"{e['finess_et'][-4:]}{n:03d}", profession, fte, cost, True))
                fte_total -= fte
        scale = 0.4 if cat in ("SESSAD", "SAVS", "ESAT") else 1.0
        for profession, fte, cost in SUPPORT_STAFF:
            if cat in ("SESSAD", "SAVS") and profession in ("cuisinier", "lingere", "surveillant_nuit"):
                continue
            if profession == "surveillant_nuit" and CATEGORIES[cat][4] != "internat" and cat != "IME":
                continue
            fte_total = round(fte * scale, 2)
            while fte_total > 0.005:  # one line per person: a night team of 2 FTE is two people
                n += 1
                members.append((f"{e['finess_et'][-4:]}{n:03d}", profession, min(1.0, fte_total), cost, False))
                fte_total = round(fte_total - 1.0, 2)
        # the professionals who record time (direct staff), with their FTE: activity is drawn in proportion to it
        staff_ids[e["finess_et"]] = [(m[0], m[1], m[2]) for m in members if m[4]]
        for y in years:
            inflation = 1.025 ** (y - years[0])
            total = 0.0
            for pid_, profession, fte, cost, _ in members:
                annual = round(fte * cost * inflation * rng.uniform(0.96, 1.04), 2)
                total += annual
                staff.append([pid_, e["finess_et"], y, profession, fte, annual])
            ledger.extend(_ledger_rows(e, y, total, rng))
    write_csv(out / "staff.csv", ["Matricule", "FINESS", "Année", "Métier", "ETP", "Coût annuel chargé"],
               [[s[0], s[1], s[2], s[3], fr_decimal(s[4]), fr_amount(s[5])] for s in staff],
               delimiter=";", encoding="cp1252")
    write_xlsx(out / "ledger.xlsx", ["Exercice", "FINESS", "Compte", "Libellé", "Montant", "Section"], ledger)

    return staff, ledger, staff_ids


def _ledger_rows(e: dict, year: int, staff_total: float, rng: random.Random) -> list[list]:
    """Class 6 charges of one ESMS-year: personnel matching the staff table (plus interim), the rest
    in the usual accounts, so that personnel is about 70 % of charges."""
    cat = e["category"]
    residential = CATEGORIES[cat][4] == "internat"
    other = staff_total * 0.42
    shares = {"6023": 0.16 if residential else 0.08, "6061": 0.10, "6132": 0.20, "615": 0.08, "616": 0.04,
              "6242": 0.12 if cat in ("IME", "ESAT", "SESSAD") else 0.05, "626": 0.02, "6262": 0.02,
              "6064": 0.03, "6811": 0.13, "6063": 0.04, "6283": 0.03}
    norm = sum(shares.values())
    labels = {"6023": "Alimentation", "6061": "Eau et énergie", "6132": "Locations immobilières",
              "615": "Entretien et réparations", "616": "Primes d'assurance", "6242": "Transports d'usagers",
              "626": "Frais postaux", "6262": "Télécommunications", "6064": "Fournitures administratives",
              "6811": "Dotations aux amortissements", "6063": "Fournitures d'entretien", "6283": "Formation"}
    rows = [[year, e["finess_et"], "6411", "Salaires et traitements", round(staff_total * 0.69, 2), ""],
            [year, e["finess_et"], "6451", "Cotisations URSSAF", round(staff_total * 0.31, 2), ""],
            [year, e["finess_et"], "6215", "Personnel intérimaire", round(staff_total * rng.uniform(0.005, 0.02), 2), ""]]
    for account, share in shares.items():
        rows.append([year, e["finess_et"], account, labels[account], round(other * share / norm, 2), ""])
    rows.append([year, e["finess_et"], "6711", "Charges exceptionnelles", round(rng.uniform(1000, 8000), 2), ""])
    rows.append([year, e["finess_et"], "6815", "Dotations aux provisions", round(rng.uniform(2000, 15000), 2), ""])
    rows.append([year, e["finess_et"], "6288", "Activité annexe (hors champ)", round(rng.uniform(500, 3000), 2),
                 "hors_champ"])
    rows.append([year, e["finess_et"], "6023", "Avoir fournisseur alimentation", -round(rng.uniform(100, 900), 2), ""])
    return rows + _product_rows(e, year, sum(r[4] for r in rows), rng)


# class 7 products by category: (account, label, share of the funding) of the tarification, as the sector's
# funders split it (ARS for care, the département for lodging and social support); and the users' own share
PRODUCTS = {
    "IME": [("731100", "Dotation globale de financement ARS", 1.0)],
    "SESSAD": [("731100", "Dotation globale de financement ARS", 1.0)],
    "MAS": [("731100", "Dotation globale de financement ARS", 1.0)],
    "FAM": [("731200", "Forfait global de soins ARS", 0.35), ("733100", "Dotation hébergement du département", 0.65)],
    "ESAT": [("731100", "Dotation globale de fonctionnement ARS", 1.0)],
    "SAVS": [("733100", "Dotation globale du département", 1.0)],
}


def _product_rows(e: dict, year: int, charges: float, rng: random.Random) -> list[list]:
    """Class 7 products of one ESMS-year, of the sector's order: the users' participation (forfait journalier
    of residential ESMS), the ESAT's sales, a small subsidy, and the tarification that covers the rest of the
    charges within a few per cent (a slight surplus or deficit)."""
    cat, places = e["category"], e["places"]
    rows, own = [], 0.0
    if CATEGORIES[cat][4] == "internat":
        amount = round(places * 365 * 0.95 * 20.0, 2)  # forfait journalier, 20 € a day
        rows.append([year, e["finess_et"], "734100", "Participation des usagers (forfait journalier)", amount, ""])
        own += amount
    if cat == "ESAT":
        amount = round(places * rng.uniform(2500, 4000), 2)
        rows.append([year, e["finess_et"], "701000", "Ventes de produits finis (atelier)", amount, ""])
        own += amount * 0.2  # most of the sales pay the commercial budget, not the social one
    amount = round(rng.uniform(1000, 6000), 2)
    rows.append([year, e["finess_et"], "747000", "Subvention d'exploitation", amount, ""])
    own += amount
    tarification = max(0.0, charges * rng.uniform(0.97, 1.03) - own)
    for account, label, share in PRODUCTS[cat]:
        rows.append([year, e["finess_et"], account, label, round(tarification * share, 2), ""])
    return rows


