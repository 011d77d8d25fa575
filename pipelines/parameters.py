"""Checks of the editable parameter files in nomenclatures/ (cost-method.md "Parameters").

A finance director edits these CSVs and re-runs. A bad edit (a section that is not a SERAFIN-PH code,
a prefix given twice, an unknown profession...) must stop the run before anything is computed, with
one line per problem naming the file, line, column and value. The dbt seed tests check the same
rules again inside the warehouse; this is the readable first line of defence.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines import settings


@dataclass(frozen=True)
class ParameterProblem:
    file: str
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"nomenclatures/{self.file}, line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None})
                for row in reader if any((v or "").strip() for v in row.values() if isinstance(v, str))]
        return [h.strip() for h in (reader.fieldnames or [])], rows


def _codes(folder: Path) -> dict[str, str]:
    _, rows = _read(folder / "serafin_codes.csv")
    return {row["code"]: row["kind"] for _, row in rows}


Check = Callable[[str], str | None]  # value -> problem message, or None when the value is fine


def _check_prefix(value: str) -> str | None:
    if not value.isdigit():
        return f"prefix {value!r} is not an account number prefix (digits only, e.g. 6132)"
    if not value.startswith("6"):
        return f"prefix {value!r} is not a class 6 (charges) account"
    return None


def _check_product_prefix(value: str) -> str | None:
    if not value.isdigit():
        return f"prefix {value!r} is not an account number prefix (digits only, e.g. 731)"
    if not value.startswith("7"):
        return f"prefix {value!r} is not a class 7 (produits) account"
    return None


def _check_number(value: str) -> str | None:
    try:
        float(value)
    except ValueError:
        return f"{value!r} is not a number (write 0.02 for 2 %)"
    return None


def _in(allowed: set[str], what: str) -> Check:
    def check(value: str) -> str | None:
        return None if value in allowed else f"{value!r} is not {what}"
    return check


def _code_of_kind(codes: dict[str, str], kinds: tuple[str, ...], what: str) -> Check:
    def check(value: str) -> str | None:
        if value not in codes:
            return f"{value!r} is not a SERAFIN-PH code (see nomenclatures/serafin_codes.csv)"
        if codes[value] not in kinds:
            return f"{value!r} is a {codes[value].replace('_', ' ')} code, not {what}"
        return None
    return check


# cost_method_parameters.csv (cost-method step 12): each parameter once, within its range
COST_METHOD_RANGES = {
    "annual_hours_per_fte": (1.0, 8784.0, "paid hours of one FTE in a year, between 1 and 8 784 (e.g. 1607)"),
    "traceability_warning": (0.0, 1.0, "a share between 0 and 1 (write 0.5 for 50 %)"),
}


def _cost_method_problems(folder: Path) -> list[ParameterProblem]:
    """What the row-by-row checks cannot see in cost_method_parameters.csv: a parameter missing, a value out of range."""
    name = "cost_method_parameters.csv"
    if not (folder / name).exists():
        return []
    header, rows = _read(folder / name)
    if "parameter" not in header or "value" not in header:
        return []
    problems, given = [], set()
    for line, row in rows:
        parameter, value = row.get("parameter", ""), row.get("value", "")
        given.add(parameter)
        if parameter in COST_METHOD_RANGES and _check_number(value) is None and value:
            low, high, what = COST_METHOD_RANGES[parameter]
            if not low <= float(value) <= high:
                problems.append(ParameterProblem(name, line, "value", value, f"{parameter} must be {what}"))
    for parameter in COST_METHOD_RANGES:
        if parameter not in given:
            problems.append(ParameterProblem(name, 0, "parameter", "", f"parameter {parameter} is missing"))
    return problems


def _specs(folder: Path) -> dict[str, tuple[tuple[str, ...], dict[str, Check]]]:
    """file -> (key columns that must be unique, {column: check})."""
    codes = _codes(folder)
    _, profession_rows = _read(folder / "professions.csv")
    professions = {row["profession"] for _, row in profession_rows}
    section = _code_of_kind(codes, ("prestation_directe", "prestation_indirecte"), "a prestation (2.x or 3.x)")
    return {
        "account_exclusions.csv": (("prefix",), {"prefix": _check_prefix}),
        "account_groups.csv": (("prefix",), {
            "prefix": _check_prefix,
            "errd_group": _in({"I", "II", "III"}, "an ERRD groupe fonctionnel (I, II or III)"),
            "is_personnel": _in({"true", "false"}, "true or false"),
        }),
        "account_sections.csv": (("prefix",), {"prefix": _check_prefix, "section": section}),
        "profession_sections.csv": (("profession",), {
            "profession": _in(professions, "a profession of nomenclatures/professions.csv"),
            "section": section,
        }),
        "funding_accounts.csv": (("prefix",), {
            "prefix": _check_product_prefix,
            "funder": lambda value: None,
            "is_baseline": _in({"true", "false"}, "true or false"),
        }),
        "cpom_parameters.csv": (("parameter",), {
            "parameter": _in({"cpom_years", "personnel_growth", "other_growth", "funding_growth", "convergence_years"},
                             "a CPOM parameter (cpom_years, personnel_growth, other_growth, funding_growth, "
                             "convergence_years)"),
            "value": _check_number,
        }),
        "cost_method_parameters.csv": (("parameter",), {
            "parameter": _in(set(COST_METHOD_RANGES), "a cost-method parameter (" + ", ".join(COST_METHOD_RANGES) + ")"),
            "value": _check_number,
        }),
        "code_aliases.csv": (("alias",), {"code": _in(set(codes), "a SERAFIN-PH code")}),
        "needs_to_prestations.csv": (("need_code", "prestation_code"), {
            "need_code": _code_of_kind(codes, ("besoin",), "a need (1.x)"),
            "prestation_code": _code_of_kind(codes, ("prestation_directe",), "a direct prestation (2.x)"),
        }),
    }


def check_parameters(folder: Path | None = None) -> list[ParameterProblem]:
    """Every problem in the editable parameter files, in file and line order (empty when all is well)."""
    folder = folder or settings.NOMENCLATURES_DIR
    problems: list[ParameterProblem] = []
    for name, (key, checks) in _specs(folder).items():
        path = folder / name
        if not path.exists():
            problems.append(ParameterProblem(name, 0, "", "", "the file is missing"))
            continue
        header, rows = _read(path)
        missing = [c for c in (*key, *checks) if c not in header]
        if missing:
            problems.append(ParameterProblem(name, 1, missing[0], "",
                                             f"missing column(s) {', '.join(dict.fromkeys(missing))}"))
            continue
        seen: dict[tuple[str, ...], int] = {}
        for line, row in rows:
            for column, check in checks.items():
                value = row.get(column, "")
                message = f"{column} is empty" if not value else check(value)
                if message:
                    problems.append(ParameterProblem(name, line, column, value, message))
            values = tuple(row.get(c, "") for c in key)
            if values in seen:
                problems.append(ParameterProblem(
                    name, line, key[0], values[0],
                    f"{' / '.join(key)} {' / '.join(repr(v) for v in values)} is already given on line {seen[values]}"
                    " (each must appear once)"))
            else:
                seen[values] = line
    return problems + _cost_method_problems(folder)


def summary(problems: list[ParameterProblem]) -> str:
    """One line for a failed run: the first problem and how many more."""
    more = f" (and {len(problems) - 1} more problem(s) in nomenclatures/)" if len(problems) > 1 else ""
    return f"bad parameter edit: {problems[0]}{more}"
