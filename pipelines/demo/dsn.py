"""The demo's payroll as the gestionnaire files it: twelve monthly DSN per ESMS and year (NEODeS lines, half of the
ESMS in Latin-1), written from the staff figures `staff_ledger.py` draws, instead of staff.csv, so that the staff
table the pipeline builds from them (models/staging/dsn) equals those figures to the cent:

- each ESMS gets a SIRET (one legal entity, one NIC per ESMS), added as the `siret` column of establishments.csv;
- a professional's matricule is the id the activity files give as intervenant;
- FTE: every month, contract quota = FTE × 35.00 hours of a 35.00 reference (exact to the cent, so Σ/12 = FTE);
- annual cost: spread over the twelve months in cents (`spread`), each month's total split into gross salary
  (S21.G00.51 type 001, about 70 %) and three individual employer contributions (S21.G00.81); the establishment's
  aggregate (S21.G00.23) repeats their sum, as a real DSN does;
- job label: the profession's label of nomenclatures/professions.csv in capitals, its PCS-ESE when the fallback
  seed knows one;
- NIR, names, birth date and address: invented (a NIR with a valid key), as every DSN carries them; the pipeline
  never keeps them.
Its own random generator (from the seed): the other demo files stay the same.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from pipelines import settings
from pipelines.ingestion.dsn import euros, spread

SIREN = "775672272"  # the demo's legal entity (invented)
REFERENCE_HOURS = "35.00"
STREETS = ["RUE DES LILAS", "AVENUE JEAN JAURÈS", "CHEMIN DES VIGNES", "PLACE DE LA RÉPUBLIQUE", "RUE PASTEUR"]
CONTRIBUTIONS = [("075", 60), ("076", 25), ("100", 15)]  # code of S21.G00.81 → share of the month's contributions


def siret(index: int) -> str:
    return f"{SIREN}{(index + 1) * 10:05d}"


def write_dsn(out: Path, esms: list[dict], staff: list[list], seed: int) -> int:
    """dsn/<FINESS>/<YYYYMM>.dsn for every ESMS and month of the staff figures ([matricule, finess, year,
    profession, fte, annual cost]); the establishments' SIRET added to establishments.csv; staff.csv removed.
    Returns how many files were written."""
    rng = random.Random(f"dsn-{seed}")
    labels, pcs = _job_labels()
    index = {e["finess_et"]: i for i, e in enumerate(esms)}
    people: dict[str, list[tuple[str, str]]] = {}
    for matricule, *_ in staff:
        if matricule not in people:
            people[matricule] = _identity(rng, len(people) + 1)
    by_file: dict[tuple[str, int], list[list]] = {}
    for row in staff:
        by_file.setdefault((row[1], row[2]), []).append(row)
    written = 0
    for (finess, year), members in sorted(by_file.items()):
        monthly = {m[0]: spread(round(m[5] * 100), [1] * 12) for m in members}
        encoding = "latin-1" if index[finess] % 2 == 0 else "utf-8"
        folder = out / "dsn" / finess
        folder.mkdir(parents=True, exist_ok=True)
        for month in range(1, 13):
            lines = _header(f"{month:02d}{year}", siret(index[finess]))
            total = 0
            for matricule, _, _, profession, fte, _ in members:
                amount = monthly[matricule][month - 1]
                lines += _employee(matricule, people[matricule], (labels[profession], pcs.get(profession)),
                                   f"{fte * 35:.2f}", siret(index[finess]), (month, year, amount))
                total += amount - _gross(amount)
            lines += [("S21.G00.22.001", "78861779300013"), ("S21.G00.22.005", euros(total)),
                      ("S21.G00.23.001", "100"), ("S21.G00.23.005", euros(total))]
            lines += [("S90.G00.90.001", str(len(lines) + 2)), ("S90.G00.90.002", "1")]
            text = "".join(f"{key},'{value}'\n" for key, value in lines)
            (folder / f"{year}{month:02d}.dsn").write_bytes(text.encode(encoding))
            written += 1
    _add_sirets(out / "establishments.csv", esms)
    (out / "staff.csv").unlink(missing_ok=True)
    return written


def _gross(month_total: int) -> int:
    return month_total * 100 // 142


def _employee(matricule: str, identity: list[tuple[str, str]], job: tuple[str, str | None], quota: str,
              workplace: str, when: tuple[int, int, int]) -> list[tuple[str, str]]:
    """The blocks of one employee in one month: individual (30), contract (40), payment (50), remuneration (51),
    base (78) and individual contributions (81)."""
    month, year, amount = when
    period = f"{month:02d}{year}"
    gross = _gross(amount)
    label, pcs = job
    lines = [*identity, ("S21.G00.30.019", matricule),
             ("S21.G00.40.001", "01012015"), ("S21.G00.40.002", "01"), ("S21.G00.40.003", "04")]
    if pcs:
        lines.append(("S21.G00.40.004", pcs))
    lines += [("S21.G00.40.006", label), ("S21.G00.40.007", "01"), ("S21.G00.40.009", f"C{matricule}"),
              ("S21.G00.40.011", "10"), ("S21.G00.40.012", REFERENCE_HOURS), ("S21.G00.40.013", quota),
              ("S21.G00.40.014", "10" if quota == REFERENCE_HOURS else "20"), ("S21.G00.40.019", workplace),
              ("S21.G00.50.001", f"28{period}"), ("S21.G00.50.002", euros(gross * 78 // 100)),
              ("S21.G00.51.001", f"01{period}"), ("S21.G00.51.002", f"28{period}"),
              ("S21.G00.51.010", f"C{matricule}"), ("S21.G00.51.011", "001"), ("S21.G00.51.013", euros(gross)),
              ("S21.G00.78.001", "03"), ("S21.G00.78.004", euros(gross))]
    shares = spread(amount - gross, [weight for _, weight in CONTRIBUTIONS])
    for (code, _), share in zip(CONTRIBUTIONS, shares, strict=True):
        lines += [("S21.G00.81.001", code), ("S21.G00.81.003", euros(gross)), ("S21.G00.81.004", euros(share))]
    return lines


def _header(period: str, workplace: str) -> list[tuple[str, str]]:
    return [("S10.G00.00.001", "DEMO PAIE"), ("S10.G00.00.002", "SERAFIN DEMO"), ("S10.G00.00.003", "1.0"),
            ("S10.G00.00.006", "P25V01"), ("S10.G00.00.008", "01"), ("S10.G00.01.001", SIREN),
            ("S20.G00.05.001", "01"), ("S20.G00.05.002", "01"), ("S20.G00.05.005", f"01{period}"),
            ("S21.G00.06.001", SIREN), ("S21.G00.06.003", "8810C"), ("S21.G00.11.001", workplace[9:]),
            ("S21.G00.11.002", "8891A")]


def _identity(rng: random.Random, number: int) -> list[tuple[str, str]]:
    """An invented employee's identity fields as a DSN gives them (S21.G00.30): NIR with a valid key, names (made
    up, numbered: the privacy scan looks for them), birth date, address."""
    sex = rng.choice("12")
    year, month = rng.randint(1960, 2000), rng.randint(1, 12)
    body = f"{sex}{year % 100:02d}{month:02d}69{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return [("S21.G00.30.001", body + f"{97 - int(body) % 97:02d}"),
            ("S21.G00.30.002", f"NOMSALARIÉ{number}"), ("S21.G00.30.004", f"PRÉNOMSALARIÉ{number}"),
            ("S21.G00.30.005", "01" if sex == "1" else "02"),
            ("S21.G00.30.006", f"{rng.randint(1, 28):02d}{month:02d}{year}"),
            ("S21.G00.30.008", f"{rng.randint(1, 120)} {rng.choice(STREETS)} {number}"),
            ("S21.G00.30.009", "69003"), ("S21.G00.30.010", "LYON")]


def _job_labels() -> tuple[dict[str, str], dict[str, str]]:
    """profession → its label in capitals (as payroll software write it), and → a PCS-ESE code of the fallback."""
    with (settings.NOMENCLATURES_DIR / "professions.csv").open(encoding="utf-8") as handle:
        labels = {r["profession"]: r["label"].upper() for r in csv.DictReader(handle)}
    with (settings.NOMENCLATURES_DIR / "pcs_ese_professions.csv").open(encoding="utf-8") as handle:
        pcs: dict[str, str] = {}
        for r in csv.DictReader(handle):
            pcs.setdefault(r["profession"], r["pcs_ese"])
    return labels, pcs


def _add_sirets(path: Path, esms: list[dict]) -> None:
    """establishments.csv with a `siret` column: the SIRET each ESMS declares its DSN under."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    sirets = {e["finess_et"]: siret(i) for i, e in enumerate(esms)}
    rows = [[*rows[0], "siret"], *([*r, sirets.get(r[0], "")] for r in rows[1:])]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
