"""Synthetic landing data for one gestionnaire: ESMS of several categories, persons, stays, needs,
plans, activity, staff, ledger, partners and conventions, over several years.

Small tables are drawn in Python (seeded). Activity, the large table, is generated set-based in
DuckDB from hashes of (seed, keys), so it is deterministic and scales to millions of rows without
holding them in Python. Half the monthly activity files, staff and the persons file are written as
French software exports them (`;`, Windows-1252, French headers, decimal comma, DD/MM/YYYY); the
ledger is an Excel workbook. A handful of bad rows show the quarantine at work.
"""

from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

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


def finess(rng: random.Random, dept: str = "69") -> str:
    base = dept + "".join(str(rng.randint(0, 9)) for _ in range(6))
    return base + luhn.calc_check_digit(base)


def generate(out: Path, config: GeneratorConfig | None = None) -> dict[str, int]:
    config = config or GeneratorConfig()
    if not config.years:
        config.years = [2023, 2024, 2025]
    rng = random.Random(config.seed)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    years = sorted(config.years)
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)

    # --- establishments
    gestionnaire = finess(rng)
    esms = []
    for i in range(config.esms):
        cat = ORDER[i % len(ORDER)]
        code, places = CATEGORIES[cat][0], CATEGORIES[cat][1]
        places = int(places * (1 + 0.15 * (i // len(ORDER))))
        place_name = ["Les Tilleuls", "Le Rhône", "Les Cèdres", "La Source", "Le Moulin", "Les Prés"][i % 6]
        esms.append({"finess_et": finess(rng), "name": f"{cat} {place_name}" + (f" {i // 6 + 1}" if i >= 6 else ""),
                     "category": cat, "category_code": code, "places": places})
    _write_csv(out / "establishments.csv",
               ["finess_et", "name", "category", "gestionnaire", "department", "authorized_places", "funder"],
               [[e["finess_et"], e["name"], e["category_code"] + " - " + e["category"], gestionnaire, "69",
                 e["places"], "ARS" if e["category"] in ("IME", "SESSAD", "MAS", "ESAT") else "ARS_CD"]
                for e in esms])

    # --- persons and stays
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
    _write_csv(out / "persons.csv",
               ["Identifiant usager", "Nom", "Prénom", "Date de naissance", "Sexe", "Déficience principale",
                "Département"], persons, delimiter=";", encoding="cp1252")
    _write_csv(out / "stays.csv", ["stay_id", "person_id", "finess_et", "start_date", "end_date", "modality",
                                   "exit_reason"], stays)

    # --- needs and plans: one assessment and one projet personnalisé per person and year
    needs, plans = [], []
    align = _alignment()
    for s in stays:
        person, finess_et, start = s[1], s[2], date.fromisoformat(s[3])
        end = date.fromisoformat(s[4]) if s[4] else last
        chosen = rng.sample(NEED_CODES, rng.randint(4, 8))
        for y in years:
            if date(y, 12, 31) < start or date(y, 1, 1) > end:
                continue
            assessed = max(start, date(y, 1, 1)) + timedelta(days=rng.randint(0, 120))
            if assessed > min(end, date(y, 12, 31)):
                assessed = max(start, date(y, 1, 1))
            for code in chosen:
                needs.append([person, assessed.isoformat(), code, rng.choice([1, 1, 2, 2, 3, 0]),
                              rng.choice(["mdph", "esms"])])
            for _k, code in enumerate(sorted({align.get(c, "2.2.1") for c in chosen})[:5]):
                reviewed = assessed + timedelta(days=rng.randint(150, 420)) if rng.random() < 0.8 else None
                plans.append([f"PP{person}{y}", person, finess_et, code, f"{rng.choice([1, 1.5, 2, 3])}",
                              assessed.isoformat(), date(y, 12, 31).isoformat(),
                              "|".join(c for c in chosen if align.get(c) == code),
                              "non", rng.choice(["oui", "oui", "oui", "non"]), assessed.isoformat(),
                              reviewed.isoformat() if reviewed and reviewed <= last else ""])
    _write_csv(out / "needs.csv", ["person_id", "assessed_on", "need_code", "level", "source"], needs)
    _write_csv(out / "plans.csv", ["plan_id", "person_id", "finess_et", "prestation_code", "planned_hours_per_week",
                                   "start_date", "end_date", "need_codes", "is_pag", "co_built", "signed_on",
                                   "reviewed_on"], plans)

    # --- staff, per ESMS and year, and the ledger that matches it
    staff, ledger = [], []
    staff_ids: dict[str, list[tuple[str, str]]] = {}
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
            n += 1
            members.append((f"{e['finess_et'][-4:]}{n:03d}", profession, round(fte * scale, 2), cost, False))
        staff_ids[e["finess_et"]] = [(m[0], m[1]) for m in members if m[4]]
        for y in years:
            inflation = 1.025 ** (y - years[0])
            total = 0.0
            for pid_, profession, fte, cost, _ in members:
                annual = round(fte * cost * inflation * rng.uniform(0.96, 1.04), 2)
                total += annual
                staff.append([pid_, e["finess_et"], y, profession, fte, annual])
            ledger.extend(_ledger_rows(e, y, total, rng))
    _write_csv(out / "staff.csv", ["Matricule", "FINESS", "Année", "Métier", "ETP", "Coût annuel chargé"],
               [[s[0], s[1], s[2], s[3], _fr_decimal(s[4]), _fr_amount(s[5])] for s in staff],
               delimiter=";", encoding="cp1252")
    _write_xlsx(out / "ledger.xlsx", ["Exercice", "FINESS", "Compte", "Libellé", "Montant", "Section"], ledger)

    # --- partners and conventions
    partners = [["PART01", "Collège Jean Moulin", "education", "", "69"],
                ["PART02", "Centre hospitalier Le Vinatier (CMP)", "sanitaire", "690780101", "69"],
                ["PART03", "Entreprise adaptée Rhône Services", "emploi", "", "69"],
                ["PART04", "Mairie de Villeurbanne - service des sports", "collectivite", "", "69"],
                ["PART05", "Association Loisirs Pluriel", "loisirs_culture", "", "69"]]
    _write_csv(out / "partners.csv", ["partner_id", "name", "kind", "finess", "department"], partners)
    conventions = []
    for i, e in enumerate(esms):
        partner = partners[i % len(partners)]
        conventions.append([f"CONV{i + 1:03d}", partner[0], e["finess_et"], f"{years[0] - 1}-09-01", "",
                            "partenariat", "2.3.3.1|2.3.4.2" if partner[2] in ("education", "loisirs_culture")
                            else "2.1.1.3|2.4.1"])
    _write_csv(out / "conventions.csv", ["convention_id", "partner_id", "finess_et", "start_date", "end_date", "kind",
                                         "prestation_codes"], conventions)

    # --- activity, set-based in DuckDB
    activity_rows = _generate_activity(out, esms, stays, staff_ids, partners, years, config)

    if config.bad_rows:
        _add_bad_rows(out, esms, staff_ids)
    return {"establishments": len(esms), "persons": len(persons), "stays": len(stays), "needs": len(needs),
            "plans": len(plans), "staff": len(staff), "ledger": len(ledger), "activity": activity_rows}


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
    return rows


def _generate_activity(out: Path, esms, stays, staff_ids, partners, years, config: GeneratorConfig) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    seed = config.seed
    con.execute("create table esms(finess_et varchar, category varchar, places int)")
    con.executemany("insert into esms values (?, ?, ?)", [(e["finess_et"], e["category"], e["places"]) for e in esms])
    con.execute("create table stays(person_id varchar, finess_et varchar, start_date date, end_date date)")
    con.executemany("insert into stays values (?, ?, ?, ?)", [(s[1], s[2], s[3], s[4] or None) for s in stays])
    con.execute("create table pros(finess_et varchar, idx int, professional_id varchar)")
    con.executemany("insert into pros values (?, ?, ?)",
                    [(f, i, p[0]) for f, members in staff_ids.items() for i, p in enumerate(members)])
    con.execute("create table codes(category varchar, collective boolean, idx int, code varchar, minutes int)")
    rows = []
    for cat, table in INDIVIDUAL.items():
        expanded = [(c, m) for c, m, w in table for _ in range(w)]
        rows += [(cat, False, i, c, m) for i, (c, m) in enumerate(expanded)]
    for cat, table in COLLECTIVE.items():
        expanded = [(c, m) for c, m, w in table for _ in range(w)]
        rows += [(cat, True, i, c, m) for i, (c, m) in enumerate(expanded)]
    con.executemany("insert into codes values (?, ?, ?, ?, ?)", rows)
    con.execute("create table settings(category varchar, idx int, setting varchar)")
    con.executemany("insert into settings values (?, ?, ?)",
                    [(cat, i, s) for cat, spec in CATEGORIES.items() for i, s in enumerate(spec[7])])
    con.execute("create table cat(category varchar, ind int, col int)")
    con.executemany("insert into cat values (?, ?, ?)", [(c, s[5], s[6]) for c, s in CATEGORIES.items()])

    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    # person-weeks: weeks of the period inside a stay; children's ESMS close 10 weeks a year
    con.execute(f"""
        create table person_weeks as
        select s.person_id, s.finess_et, e.category, w.week_start,
               abs(hash(s.person_id, {seed})) % greatest(1, e.places // 6) as grp
        from stays s
        join esms e using (finess_et)
        join (select cast(range as date) as week_start
              from range(date '{first}', date '{last}', interval 7 day)) w
          on w.week_start between s.start_date and coalesce(s.end_date, date '{last}')
        where not (e.category in ('IME', 'SESSAD') and extract(week from w.week_start) in (1, 8, 16, 28, 29, 30, 31, 32, 33, 52))
    """)
    # rows at the natural rhythm of each category; a target size scales it by a whole factor, then keeps
    # a share of the events (by hash, deterministic) so that the total lands close to the target
    base = con.execute("""select sum(c.ind) + sum(c.col) from person_weeks p join cat c using (category)""").fetchone()[0] or 1
    indirect = con.execute(f"""select count(*) * (select count(*) from range(date '{first}', date '{last}', interval 14 day))
                               from pros""").fetchone()[0]
    factor, keep = 1, 1.0
    if config.activity_rows:
        wanted = max(1, config.activity_rows - indirect)
        factor = max(1, -(-wanted // base))
        keep = min(1.0, wanted / (base * factor))
    kept = f"h % 1000000 < {int(keep * 1_000_000)}"
    con.execute(f"""
        create table events as
        with ind as (
            select p.person_id, p.finess_et, p.category, p.week_start, k,
                   'E' || substr(md5(p.person_id || p.week_start || k || '{seed}'), 1, 14) as event_id,
                   abs(hash(p.person_id, p.week_start, k, {seed})) as h
            from person_weeks p join cat c using (category), range(c.ind * {factor}) r(k)
        ),
        ind_kept as (select * from ind where {kept}),
        col as (
            select distinct p.finess_et, p.category, p.week_start, p.grp, k
            from person_weeks p join cat c using (category), range(c.col * {factor}) r(k)
        ),
        col_events as (
            select c.*, 'C' || substr(md5(c.finess_et || c.grp || c.week_start || c.k || '{seed}'), 1, 14) as event_id,
                   abs(hash(c.finess_et, c.grp, c.week_start, c.k, {seed})) as h
            from col c
        )
        select i.event_id, i.person_id, i.finess_et, i.category, i.week_start, i.h, false as collective from ind_kept i
        union all
        select ce.event_id, p.person_id, ce.finess_et, ce.category, ce.week_start, ce.h, true
        from (select * from col_events where {kept}) ce join person_weeks p
          on p.finess_et = ce.finess_et and p.week_start = ce.week_start and p.grp = ce.grp
    """)
    con.execute(f"""
        create table activity as
        select
            ev.event_id,
            ev.person_id,
            ev.finess_et,
            pr.professional_id,
            cd.code as prestation_code,
            ev.week_start + cast(ev.h % 5 as int) + interval (8 + (ev.h // 7) % 9) hour
                + interval (15 * ((ev.h // 11) % 4)) minute as started_at,
            cd.minutes as duration_min,
            st.setting,
            case when (ev.h // 13) % 40 = 0 then 'PART0' || cast(1 + (ev.h // 17) % 5 as varchar) end as partner_id,
            case when (ev.h // 19) % 50 = 0 then 'annule' when (ev.h // 19) % 50 = 1 then 'planifie' else 'realise' end as status,
            (ev.h // 23) % 60 = 0 as outside_plan
        from events ev
        join (select finess_et, count(*) as n from pros group by finess_et) np using (finess_et)
        join pros pr on pr.finess_et = ev.finess_et and pr.idx = (ev.h // 29) % np.n
        join (select category, collective, count(*) as n from codes group by all) nc
          on nc.category = ev.category and nc.collective = ev.collective
        join codes cd on cd.category = ev.category and cd.collective = ev.collective and cd.idx = (ev.h // 31) % nc.n
        join settings st on st.category = ev.category and st.idx = (ev.h // 37) % 4
        where ev.week_start + cast(ev.h % 5 as int) <= date '{last}'
    """)
    # indirect work with no person: analysis of practice, coordination with partners (3.x)
    con.execute(f"""
        insert into activity
        select 'I' || substr(md5(p.professional_id || w.week_start || '{seed}'), 1, 14), null, p.finess_et,
               p.professional_id, case when abs(hash(p.professional_id, w.week_start)) % 3 = 0 then '3.1.5.1' else '3.1.4.2' end,
               w.week_start + interval 14 hour, 60, 'structure', null, 'realise', false
        from pros p, (select cast(range as date) as week_start from range(date '{first}', date '{last}', interval 14 day)) w
    """)
    count = con.execute("select count(*) from activity").fetchone()[0]
    folder = out / "activity"
    folder.mkdir()
    months = con.execute("select distinct strftime(started_at, '%Y-%m') m from activity order by m").fetchall()
    messy_every = round(1 / config.messy_share) if config.messy_share else 0
    for i, (month,) in enumerate(months):
        path = folder / f"activite_{month}.csv"
        if messy_every and i % messy_every == 0:
            tmp = folder / f".{path.name}.utf8"
            con.execute(f"""
                copy (select event_id as "N° événement", person_id as "Identifiant usager", finess_et as "FINESS",
                             professional_id as "Intervenant", prestation_code || ' - ' || coalesce(c.label, '') as "Code prestation",
                             strftime(started_at, '%d/%m/%Y %H:%M') as "Date début",
                             replace(cast(duration_min as varchar), '.', ',') as "Durée (min)",
                             setting as "Lieu", partner_id as "Partenaire", case status when 'realise' then 'Réalisé'
                             when 'annule' then 'Annulé' else 'Planifié' end as "Statut",
                             case when outside_plan then 'oui' else 'non' end as "Hors projet"
                      from activity a left join (select * from read_csv('{_codes_csv()}', all_varchar=true)) c
                        on c.code = a.prestation_code
                      where strftime(started_at, '%Y-%m') = '{month}' order by started_at, event_id, person_id)
                to '{tmp}' (header, delimiter ';')
            """)
            _transcode(tmp, path, "cp1252")
            tmp.unlink()
        else:
            con.execute(f"""
                copy (select event_id, person_id, finess_et, professional_id, prestation_code,
                             strftime(started_at, '%Y-%m-%dT%H:%M:%S') as started_at,
                             strftime(started_at + to_minutes(duration_min), '%Y-%m-%dT%H:%M:%S') as ended_at,
                             duration_min, setting, partner_id, status, case when outside_plan then 1 else 0 end as outside_plan
                      from activity where strftime(started_at, '%Y-%m') = '{month}' order by started_at, event_id, person_id)
                to '{path}' (header, delimiter ',')
            """)
    con.close()
    return count


def _add_bad_rows(out: Path, esms, staff_ids) -> None:
    """A handful of rows a real export would carry, each to be quarantined with its reason."""
    e = esms[0]
    pro = staff_ids[e["finess_et"]][0][0]
    first_file = sorted((out / "activity").glob("*.csv"))[1]
    with first_file.open("a", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        day = first_file.stem.split("_")[1] + "-15T10:00:00"
        w.writerow(["BAD1", "U000001", e["finess_et"], pro, "2.9.9", day, "", "30", "structure", "", "realise", "0"])
        w.writerow(["BAD2", "U000001", "690999999", pro, "2.2.1", day, "", "30", "structure", "", "realise", "0"])
        w.writerow(["BAD3", "U000001", e["finess_et"], pro, "2.2.1", day, "", "0", "structure", "", "realise", "0"])
        w.writerow(["BAD4", "U000001", e["finess_et"], pro, "2.2.1", "31/02/2024 10:00", "", "30", "structure", "",
                    "realise", "0"])
    with (out / "stays.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["SBAD1", "U000002", e["finess_et"], "2024-05-01", "2024-01-01", "externat", ""])
    with (out / "plans.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["PPBAD", "U000003", e["finess_et"], "3.1.1.1", "2", "2024-01-01", "", "", "non",
                                     "peut-être", "", ""])


def _alignment() -> dict[str, str]:
    from pipelines.settings import NOMENCLATURES_DIR

    out: dict[str, str] = {}
    with (NOMENCLATURES_DIR / "needs_to_prestations.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["prestation_code"]
            out.setdefault(row["need_code"], code if code.count(".") >= 2 else "2.1.2.1")
    return out


def _codes_csv() -> str:
    from pipelines.settings import NOMENCLATURES_DIR

    return str(NOMENCLATURES_DIR / "serafin_codes.csv")


def _fr_decimal(value: float) -> str:
    return f"{value}".replace(".", ",")


def _fr_amount(value: float) -> str:
    whole, _, cents = f"{value:.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return "\u00a0".join(groups) + "," + cents


def _write_csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="", errors="replace") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def _write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Balance")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _transcode(src: Path, dst: Path, encoding: str) -> None:
    with src.open("r", encoding="utf-8", newline="") as fin, dst.open("w", encoding=encoding, newline="",
                                                                        errors="replace") as fout:
        shutil.copyfileobj(fin, fout, 1 << 22)
