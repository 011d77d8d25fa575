"""The monthly DSN (déclaration sociale nominative) as an input: `dsn/` of the landing folder holds the payroll
declarations as the payroll software files them, NEODeS lines `S21.G00.BB.RRR,'value'` (Latin-1 or UTF-8, line by
line), one file per establishment and month (finance-sources.md, "DSN → staff").

Each file is read once, line by line (a tight generator: no line is kept once its block is closed), into one row
per employee and contract of the month: `raw.dsn_contracts` (all text, like every raw table; dbt's staging types
them and builds `staff` from them, `stg_dsn__staff`). What a row carries:
- the month (S20.G00.05.005), the declaring establishment (SIREN S21.G00.06.001 + NIC S21.G00.11.001);
- the professional: the matricule S21.G00.30.019, pseudonymised here like an activity file's intervenant
  (pseudonym.pseudonymise_professional);
- the contract (S21.G00.40): PCS-ESE, job label, nature, quota unit, reference and contract quotas, working-time
  mode, workplace SIRET;
- its gross salary: Σ S21.G00.51.013 of type 001 whose contract number (.010) is this contract's (or the
  employee's only contract);
- its employer contributions: the employee's individual contributions (Σ S21.G00.81.004) when the declaration
  carries any, else the establishment's aggregated contributions (Σ S21.G00.23.005) spread over its employees in
  proportion to gross; either spread over an employee's contracts by gross, in cents, the remainder to the largest
  (`spread`).

Personal data: a DSN carries each employee's NIR, names, birth date and place, address. Only the fields listed in
`USED` are ever kept; the others are skipped unread. A line that cannot be read is quarantined with its file,
line and reason, and its value only when it is one of `SHOWN` (never an identity field, never the matricule).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingestion.readers import open_bytes

log = logging.getLogger("serafin.dsn")

FOLDER = "dsn"
TABLE = "dsn_contracts"
# the contract number (S21.G00.40.009) only ties a remuneration to its contract while the file is read: payroll
# software often build it from the matricule, so it is not kept
COLUMNS = ("month", "declaration_nature", "declaration_type", "declaring_siret", "professional_id", "contract_start",
           "pcs_ese", "job_label", "contract_nature", "quota_unit", "reference_quota", "contract_quota", "time_mode",
           "workplace_siret", "gross", "contributions", "contributions_source")
TABLES = {TABLE: COLUMNS}

# the fields read (everything else, the NIR, names, birth, address included, is skipped unread)
CONTRACT_FIELDS = {"001": "contract_start", "004": "pcs_ese", "006": "job_label", "007": "contract_nature",
                   "009": "contract_id", "011": "quota_unit", "012": "reference_quota", "013": "contract_quota",
                   "014": "time_mode", "019": "workplace_siret"}
USED = {"S20.G00.05.001", "S20.G00.05.002", "S20.G00.05.005", "S21.G00.06.001", "S21.G00.11.001",
        "S21.G00.23.005", "S21.G00.30.019", "S21.G00.51.010", "S21.G00.51.011", "S21.G00.51.013",
        "S21.G00.81.004", *(f"S21.G00.40.{k}" for k in CONTRACT_FIELDS)}
# the fields whose value a quarantined line may show (no identity field; the matricule is a person's id)
SHOWN = USED - {"S21.G00.30.019", "S21.G00.40.006"}
STRUCTURE = {"S21.G00.11", "S21.G00.30", "S21.G00.40", "S21.G00.51"}  # the blocks whose start closes or opens one
GROSS_TYPE = "001"  # S21.G00.51.011: rémunération brute non plafonnée
MONTHLY = "01"  # S20.G00.05.001: DSN mensuelle (the event declarations repeat what a monthly one holds)

_LINE = re.compile(r"^(S[0-9]{2}\.G[0-9]{2}\.[0-9]{2})\.([0-9]{3}),'(.*)'\s*$")
_AMOUNT = re.compile(r"^-?[0-9]+(\.[0-9]{1,2})?$")
_QUOTA = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class DsnProblem(Exception):
    """A DSN file that cannot be read at all; the message says why, in one sentence."""


@dataclass
class _Contract:
    line: int
    values: dict[str, str] = field(default_factory=dict)
    gross: int = 0  # cents


@dataclass
class _Employee:
    line: int
    establishment: int
    matricule: str | None = None
    contracts: list[_Contract] = field(default_factory=list)
    unassigned_gross: list[tuple[str | None, int]] = field(default_factory=list)  # (contract number, cents)
    contributions: int = 0  # cents
    has_individual: bool = False
    _remuneration: dict[str, str] = field(default_factory=dict)


@dataclass
class DsnFile:
    """What one DSN file gives: its rows (one per employee and contract), its quarantined lines (line, field, value,
    reason), and what it declares."""

    rows: list[dict] = field(default_factory=list)
    rejections: list[tuple[int, str | None, str | None, str]] = field(default_factory=list)
    month: str | None = None
    nature: str | None = None
    lines: int = 0
    note: str = ""


def spread(total: int, weights: list[int]) -> list[int]:
    """`total` cents split in proportion to `weights` (largest remainders get the leftover cents, ties to the first):
    the parts add up to `total` exactly. No weight (all zero): equal parts."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    sign = -1 if total < 0 else 1
    parts = [abs(total) * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(abs(total) * weights[i] % whole), i))
    for i in order[: abs(total) - sum(parts)]:
        parts[i] += 1
    return [sign * p for p in parts]


def cents(text: str) -> int:
    """A DSN amount (`1234.56`, `-12.5`, decimal point) in cents; ValueError otherwise."""
    if not _AMOUNT.match(text):
        raise ValueError(text)
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int((fraction + "00")[:2])
    return -value if negative else value


def euros(value: int) -> str:
    return f"{'-' if value < 0 else ''}{abs(value) // 100}.{abs(value) % 100:02d}"


def iter_lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of a DSN file, each line read as UTF-8, else as Latin-1 (both occur, sometimes in one
    file); an empty line is skipped."""
    with open_bytes(path) as handle:
        for number, raw in enumerate(handle, 1):
            raw = raw.rstrip(b"\r\n")
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, raw.decode("latin-1")


def read_file(path: Path, pseudonym: Callable[[str], str]) -> DsnFile:
    """One DSN file → its rows and quarantined lines. `pseudonym(matricule)` gives a professional's pseudonym."""
    out = DsnFile()
    state = _Reader(out, pseudonym)
    for number, text in iter_lines(path):
        out.lines += 1
        # most lines are `S21.G00.BB.RRR,'value'` exactly: sliced; the others checked by the pattern
        if text[14:16] == ",'" and text[-1:] == "'" and text[10:11] == "." and text[:1] == "S" and len(text) > 16:
            state.line(number, text[:10], text[11:14], text[16:-1])
            continue
        match = _LINE.match(text)
        if match is None:
            out.rejections.append((number, None, None, "not a DSN line (expected S21.G00.BB.RRR,'value')"))
            continue
        state.line(number, match.group(1), match.group(2), match.group(3))
    state.close()
    if out.nature and out.nature != MONTHLY and out.rows:
        out.note = (f"a declaration of nature {out.nature}, not a monthly DSN ({MONTHLY}): its {len(out.rows)} "
                    f"contract rows are not read into staff (the monthly DSN declares the same pay)")
        out.rows = []
    if out.lines and not out.month and not out.rows and len(out.rejections) == out.lines:
        raise DsnProblem("no line of this file is a DSN line (S21.G00.BB.RRR,'value'): not a DSN file")
    return out


class _Reader:
    """The blocks of one file, closed as they end (a block starts at its first field, or at a field number lower
    than the one before it in the same block)."""

    def __init__(self, out: DsnFile, pseudonym: Callable[[str], str]):
        self.out, self.pseudonym = out, pseudonym
        self.siren = ""
        self.nic: list[str] = []  # the file's establishments, in order
        self.aggregate: list[int] = []  # their aggregated contributions, cents
        self.declaration_type: str | None = None
        self.employees: list[_Employee] = []
        self.employee: _Employee | None = None
        self.contract: _Contract | None = None
        self.previous = ("", "")

    def line(self, number: int, block: str, rubric: str, value: str) -> None:
        previous_block, previous_rubric = self.previous
        self.previous = (block, rubric)
        if block not in STRUCTURE and block == previous_block:  # most lines: a field of a block that opens nothing
            if block + "." + rubric not in USED:
                return
            starts = False
        else:
            starts = block != previous_block or rubric <= previous_rubric
        key = block + "." + rubric
        if block == "S21.G00.30" and starts:
            self._close_remuneration()
            self.employee = _Employee(number, len(self.nic) - 1)
            self.employees.append(self.employee)
            self.contract = None
        elif block == "S21.G00.11" and starts:
            self._close_remuneration()
            self.nic.append("")
            self.aggregate.append(0)
            self.employee = self.contract = None
        elif block == "S21.G00.40" and starts and self.employee is not None:
            self.contract = _Contract(number)
            self.employee.contracts.append(self.contract)
        elif block == "S21.G00.51" and starts:
            self._close_remuneration()
        if key not in USED:
            return
        try:
            self._use(key, rubric, value.strip())
        except ValueError as exc:
            shown = value.strip()[:100] if key in SHOWN else None
            self.out.rejections.append((number, key, shown, f"{key}: {exc}"))

    def _use(self, key: str, rubric: str, value: str) -> None:
        if key == "S20.G00.05.005":
            if not re.fullmatch(r"01(0[1-9]|1[0-2])[0-9]{4}", value):
                raise ValueError("the month declared is not a date 01MMAAAA")
            self.out.month = f"{value[4:8]}-{value[2:4]}"
        elif key == "S20.G00.05.001":
            self.out.nature = value
        elif key == "S20.G00.05.002":
            self.declaration_type = value
        elif key == "S21.G00.06.001":
            self.siren = value
        elif key == "S21.G00.11.001":
            if self.nic:
                self.nic[-1] = value
        elif key == "S21.G00.23.005":
            if self.aggregate:
                self.aggregate[-1] += _amount(value)
        elif self.employee is None:
            raise ValueError("outside any employee block (S21.G00.30)")
        elif key == "S21.G00.30.019":
            self.employee.matricule = value or None
        elif key.startswith("S21.G00.40."):
            if self.contract is None:
                raise ValueError("outside any contract block (S21.G00.40)")
            if rubric in ("012", "013") and value and not _QUOTA.match(value):
                raise ValueError("a quota is a number with a decimal point")
            self.contract.values[CONTRACT_FIELDS[rubric]] = value
        elif key.startswith("S21.G00.51."):
            if rubric == "013":
                _amount(value)
            self.employee._remuneration[rubric] = value
        elif key == "S21.G00.81.004":
            self.employee.contributions += _amount(value)
            self.employee.has_individual = True

    def _close_remuneration(self) -> None:
        employee = self.employee
        if employee is None or not employee._remuneration:
            return
        rem, employee._remuneration = employee._remuneration, {}
        if rem.get("011") == GROSS_TYPE and rem.get("013"):
            employee.unassigned_gross.append((rem.get("010") or None, cents(rem["013"])))

    def close(self) -> None:
        self._close_remuneration()
        individual = any(e.has_individual for e in self.employees)
        for employee in self.employees:
            for number, amount in employee.unassigned_gross:
                _contract_of(employee, number).gross += amount if employee.contracts else 0
        # the aggregate of each establishment, spread over its employees by gross, when no contribution is individual
        if not individual:
            for index, total in enumerate(self.aggregate):
                staff = [e for e in self.employees if e.establishment == index and e.contracts]
                for employee, share in zip(staff, spread(total, [sum(c.gross for c in e.contracts) for e in staff]),
                                           strict=True):
                    employee.contributions = share
        source = "individual" if individual else ("aggregate" if any(self.aggregate) else None)
        for employee in self.employees:
            self._rows(employee, source)

    def _rows(self, employee: _Employee, source: str | None) -> None:
        out = self.out
        if not employee.matricule:
            out.rejections.append((employee.line, "S21.G00.30.019", None,
                                   "an employee without a matricule (S21.G00.30.019): the professional cannot be "
                                   "identified"))
            return
        if not employee.contracts:
            out.rejections.append((employee.line, "S21.G00.40", None,
                                   "an employee without a contract block (S21.G00.40): no workplace, no quota"))
            return
        nic = self.nic[employee.establishment] if employee.establishment >= 0 else ""
        professional = self.pseudonym(employee.matricule)
        shares = spread(employee.contributions, [c.gross for c in employee.contracts])
        for contract, share in zip(employee.contracts, shares, strict=True):
            kept = {k: v for k, v in contract.values.items() if k in COLUMNS}
            out.rows.append({**dict.fromkeys(COLUMNS), **kept,
                             "month": out.month, "declaration_nature": out.nature,
                             "declaration_type": self.declaration_type,
                             "declaring_siret": (self.siren + nic) or None, "professional_id": professional,
                             "gross": euros(contract.gross), "contributions": euros(share),
                             "contributions_source": source, "_line": contract.line})


def _amount(value: str) -> int:
    try:
        return cents(value)
    except ValueError:
        raise ValueError("an amount is a number with a decimal point (1234.56)") from None


def _contract_of(employee: _Employee, number: str | None) -> _Contract:
    """The contract a remuneration names (S21.G00.51.010 = S21.G00.40.009), else the employee's first one."""
    for contract in employee.contracts:
        if number and contract.values.get("contract_id") == number:
            return contract
    return employee.contracts[0] if employee.contracts else _Contract(0)


def log_unmapped_job_labels(con) -> list[tuple[str, str | None, int]]:
    """The run log lists each DSN job label loaded as `autre` (no synonym, no PCS-ESE known) with how many staff rows
    have it; returns them (job label, PCS-ESE, rows). Nothing when the warehouse has no checked staff yet."""
    import duckdb

    try:
        labels = con.execute(
            "select profession_raw, pcs_ese, count(*) from validation.int_staff__checked "
            "where reject_reason is null and profession_match = 'none' group by all order by 3 desc, 1").fetchall()
    except duckdb.CatalogException:
        return []
    for label, pcs, rows in labels:
        log.warning("DSN job label %r (PCS-ESE %s) maps to no profession: %d staff row(s) loaded as autre; add it to "
                    "nomenclatures/profession_synonyms.csv", label, pcs or "none", rows)
    return labels
