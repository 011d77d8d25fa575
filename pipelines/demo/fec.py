"""The gestionnaire's accounts as its accounting software exports them: one FEC per legal entity and fiscal year
(`comptabilite/<SIREN>FEC<AAAA>1231.txt`, `|`-separated, ISO-8859-15, amounts with a decimal comma), written from the
same ledger figures `staff_ledger.py` draws, and the `comptabilite.yaml` that splits it between the ESMS.

Each ESMS has its journal; every charge and product is booked with its counterpart (salaries to 421, contributions to
431, suppliers to 401, depreciation to 28, provisions to 15, funders to 411, the bank 512), the recurring ones month
by month, a negative ledger figure as a credit note. The head office keeps its own journal: its own costs (which no
ESMS carries, so audit.fec_unassigned shows them) and the cash it advances through the liaison accounts (181). A
`|` inside one entry label shows the export defect the reader repairs. The section of a ledger row (hors_champ) is
the analytic column `SectionAnalytique`. So the ledger the FEC gives is the ledger.xlsx of the CSV route, to the cent
(tests/test_fec_pipeline.py).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from stdnum import luhn

HEADER = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
          "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
          "ValidDate", "Montantdevise", "Idevise", "SectionAnalytique"]
HEAD_OFFICE = "SIEGE"
# (account prefix, counterpart account, its label, booked monthly)
COUNTERPARTS = [("641", "421000", "Personnel - rémunérations dues", True),
                ("645", "431000", "Sécurité sociale", True),
                ("6815", "151000", "Provisions pour risques", False),
                ("681", "281300", "Amortissements des constructions", False),
                ("67", "512000", "Banque", False),
                ("6", "401000", "Fournisseurs", True),
                ("7", "411000", "Usagers et financeurs", True)]
# the head office's own charges a year: account, label, amount
HEAD_OFFICE_COSTS = [("622600", "Honoraires", 18_500.00), ("641100", "Salaires du siège", 96_000.00),
                     ("613200", "Loyer du siège", 14_400.00)]


def siren_of(gestionnaire: str) -> str:
    """A SIREN (9 digits, Luhn) for the gestionnaire's legal entity, from its FINESS EJ."""
    body = "7" + "".join(c for c in gestionnaire if c.isdigit())[-7:].rjust(7, "0")
    return body + luhn.calc_check_digit(body)


def journal_codes(esms: list[dict]) -> dict[str, str]:
    """FINESS -> the code of its journal (the category and its rank: IME1, SESSAD1…)."""
    codes, seen = {}, defaultdict(int)
    for e in esms:
        seen[e["category"]] += 1
        codes[e["finess_et"]] = f"{e['category'][:4]}{seen[e['category']]}"
    return codes


def write_fec(out: Path, esms: list[dict], ledger: list[list], years: list[int]) -> dict[str, str]:
    """One FEC per legal entity and year in out/comptabilite, and comptabilite.yaml; returns FINESS -> journal.
    `ledger`: the rows [year, finess_et, account, label, amount, section] of staff_ledger.py."""
    folder = Path(out) / "comptabilite"
    folder.mkdir(parents=True, exist_ok=True)
    codes = journal_codes(esms)
    names = {e["finess_et"]: e["name"] for e in esms}
    entities: dict[str, list[str]] = defaultdict(list)
    for e in esms:
        entities[e["gestionnaire"]].append(e["finess_et"])
    by_esms_year = defaultdict(list)
    for row in ledger:
        by_esms_year[(row[1], row[0])].append(row)
    for gestionnaire, members in entities.items():
        siren = siren_of(gestionnaire)
        for year in years:
            book = _Book(year)
            for finess in members:
                book.journal(codes[finess], f"Journal {names[finess]}", by_esms_year[(finess, year)])
            book.head_office(members, codes)
            text = "\n".join("|".join(line) for line in [HEADER, *book.lines]) + "\n"
            (folder / f"{siren}FEC{year}1231.txt").write_bytes(text.encode("iso8859_15", errors="replace"))
    write_comptabilite_yaml(out, {siren_of(g): {codes[f]: f for f in members} for g, members in entities.items()})
    return codes


def write_comptabilite_yaml(out: Path, journals: dict[str, dict[str, str]], sirets: dict[str, str] | None = None):
    """comptabilite.yaml: each SIREN split by journal; `sirets` (SIRET -> FINESS) for the DSN workplaces."""
    lines = ["# how the legal entity's accounts are split between its ESMS (docs: finance-sources.md)", "entities:"]
    for siren, mapping in journals.items():
        lines += [f'  - siren: "{siren}"', "    split: journal", "    journals:"]
        lines += [f'      {code}: "{finess}"' for code, finess in mapping.items()]
    if sirets:
        lines += ["sirets:"] + [f'  "{siret}": "{finess}"' for siret, finess in sirets.items()]
    (Path(out) / "comptabilite.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


class _Book:
    """The lines of one FEC, entries numbered per journal."""

    def __init__(self, year: int):
        self.year = year
        self.lines: list[list[str]] = []
        self.numbers: dict[str, int] = defaultdict(int)
        self.broken_label = False

    def entry(self, journal: str, journal_label: str, day: str, label: str, lines: list[tuple]) -> None:
        """One entry: lines (account, account label, debit cents, credit cents, section)."""
        self.numbers[journal] += 1
        number = str(self.numbers[journal])
        date = f"{self.year}{day}"
        for account, account_label, debit, credit, section in lines:
            self.lines.append([journal, journal_label, number, date, account, account_label, "", "",
                               f"{journal}-{number}", date, label, _amount(debit), _amount(credit), "", "", date, "",
                               "", section])

    def journal(self, code: str, label: str, rows: list[list]) -> None:
        for _, _, account, account_label, amount, section in rows:
            cents = round(amount * 100)
            counterpart, counterpart_label, monthly = next((c, lab, m) for prefix, c, lab, m in COUNTERPARTS
                                                           if account.startswith(prefix))
            parts = _months(abs(cents)) if monthly else [(12, abs(cents))]
            for month, part in parts:
                if not part:
                    continue
                day = f"{month:02d}28"
                text = f"{account_label} {month:02d}/{self.year}"
                if not self.broken_label and account.startswith("606"):  # the export defect: a '|' in a label
                    text, self.broken_label = f"{account_label} | {month:02d}/{self.year}", True
                charge = account.startswith("6")
                if (cents >= 0) == charge:  # a charge, or a credit note on a product
                    lines = [(account, account_label, part, 0, section), (counterpart, counterpart_label, 0, part, "")]
                else:  # a product, or a credit note on a charge (an avoir)
                    text = text if cents >= 0 else f"Avoir {text}"
                    lines = [(counterpart, counterpart_label, part, 0, ""), (account, account_label, 0, part, section)]
                self.entry(code, label, day, text, lines)

    def head_office(self, members: list[str], codes: dict[str, str]) -> None:
        """The head office's own costs, paid from the bank, and the cash it advances to each ESMS (liaison 181)."""
        journal = (HEAD_OFFICE, "Journal du siège")
        for account, label, amount in HEAD_OFFICE_COSTS:
            cents = round(amount * 100)
            self.entry(*journal, "1231", f"{label} {self.year}",
                       [(account, label, cents, 0, ""), ("512000", "Banque", 0, cents, "")])
        for rank, finess in enumerate(members, start=1):
            self.entry(*journal, "0115", f"Avance de trésorerie {codes[finess]}",
                       [(f"181{rank:03d}", f"Liaison {codes[finess]}", 5_000_00, 0, ""),
                        ("512000", "Banque", 0, 5_000_00, "")])


def _months(cents: int) -> list[tuple[int, int]]:
    """An amount in twelve monthly parts, to the cent: the last takes what the division leaves."""
    part = cents // 12
    return [(m, part) for m in range(1, 12)] + [(12, cents - 11 * part)]
