"""Funding scenarios: `scenarios/*.yaml` in the landing folder, one scenario per file, checked before anything
is built.

The format is docs' scenarios.md: rules (base_share, per_place, per_hour, per_person, per_night,
per_presence_day, per_need_level) whose sum is the scenario's funding, optional shifts of hours between
settings, and the sensitivity. A bad file stops the run with one line naming the file, the key path
(`rules[2].tariff.percentile`) and what is wrong. The checked scenarios reach dbt as the run value
`scenarios` (`as_dbt_var`, pipelines/dbt_build.environment), read by macros/funding.sql; the models are
intermediate/funding and marts/funding.
`serafin scenario FILE` re-runs one of them on a built warehouse (pipelines/scenario_rerun.py), without dbt where the
warehouse keeps its scenario models' SQL (pipelines/scenario_sql.py).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from pipelines.config_files import StrictModel, load_checked

FOLDER = "scenarios"


class ScenarioProblem(Exception):
    """A scenario file cannot be used; the message names the file, the key path and what is wrong."""


class _Strict(StrictModel):
    @field_validator("prestation", "need", mode="before", check_fields=False)
    @classmethod
    def _code_text(cls, value):
        return str(value) if isinstance(value, int | float) else value  # `prestation: 2.1` is a YAML number


Amount = Annotated[float, Field(ge=0)]


class DerivedTariff(_Strict):
    """A tariff read from the cost marts: the P-th percentile of cost_per_hour on the rule's prestation."""
    percentile: float = Field(ge=0, le=100)
    of: Literal["cost_per_hour"] = "cost_per_hour"
    among: Literal["category", "all"] = "category"


class _Rule(_Strict):
    label: str | None = None  # optional wording shown in the reports


class BaseShare(_Rule):
    kind: Literal["base_share"]
    share: float = Field(ge=0, le=1)


class PerPlace(_Rule):
    kind: Literal["per_place"]
    amounts: dict[str, Amount] = Field(min_length=1)  # category (short label or FINESS code) -> euros per place

    @field_validator("amounts", mode="before")
    @classmethod
    def _category_text(cls, value):
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value  # `182:` is a number


class PerHour(_Rule):
    kind: Literal["per_hour"]
    prestation: str
    settings: list[str] | None = None
    tariff: Amount | DerivedTariff


class PerPerson(_Rule):
    kind: Literal["per_person"]
    prestation: str
    tariff: Amount


class PerNight(_Rule):
    kind: Literal["per_night"]
    tariff: Amount


class PerPresenceDay(_Rule):
    kind: Literal["per_presence_day"]
    tariff: Amount


class PerNeedLevel(_Rule):
    kind: Literal["per_need_level"]
    need: str
    amounts: dict[Literal[1, 2, 3], Amount] = Field(min_length=1)


Rule = Annotated[BaseShare | PerPlace | PerHour | PerPerson | PerNight | PerPresenceDay | PerNeedLevel,
                 Field(discriminator="kind")]


class Shift(_Strict):
    prestation: str
    from_setting: str
    to_setting: str
    share: float = Field(ge=0, le=1)


# the most shifts a file may have: int_funding_scenario_hours unrolls them this many steps (dbt_project.yml's var
# scenario_max_shifts, which tests/unit/test_scenario_sql.py holds equal)
MAX_SHIFTS = 12


class Scenario(_Strict):
    name: str = Field(min_length=1)
    description: str | None = None
    years: list[Annotated[int, Field(ge=2000, le=2100)]] | None = None
    rules: list[Rule] = Field(min_length=1)
    shifts: list[Shift] = Field(default_factory=list, max_length=MAX_SHIFTS)
    sensitivity: float = Field(default=0.10, ge=0, le=1)


RULE_KINDS = ("base_share", "per_place", "per_hour", "per_person", "per_night", "per_presence_day", "per_need_level")


@functools.cache
def _reference() -> dict[str, dict[str, str]]:
    """Codes (code -> kind), aliases (alias -> code), categories (code or short label -> short label), settings."""
    from pipelines.settings import NOMENCLATURES_DIR

    def rows(name):
        with (NOMENCLATURES_DIR / name).open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    return {
        "codes": {r["code"]: r["kind"] for r in rows("serafin_codes.csv")},
        "aliases": {r["alias"]: r["code"] for r in rows("code_aliases.csv")},
        "categories": {**{r["category_code"]: r["short_label"] for r in rows("esms_categories.csv")},
                       **{r["short_label"].upper(): r["short_label"] for r in rows("esms_categories.csv")}},
        "settings": {r["value"]: r["value"] for r in rows("enumerations.csv") if r["enumeration"] == "setting"},
    }


_OTHER_BRANCH = {"model_type", "dict_type", "float_type", "float_parsing"}  # a tariff is a number or a derived one
_UNION_MEMBERS = {*RULE_KINDS, "DerivedTariff", "constrained-float", "float"}


def _describe(error: dict) -> str | None:
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        given = error.get("input")
        kind = given.get("kind") if isinstance(given, dict) else None
        return (f"unknown rule kind {kind!r} (one of {', '.join(RULE_KINDS)})" if kind is not None
                else f"a rule needs a kind (one of {', '.join(RULE_KINDS)})")
    return None


def _code(path: Path, where: str, value: str, kinds: tuple[str, ...], what: str) -> str:
    ref = _reference()
    code = ref["aliases"].get(value.strip(), value.strip())
    if code not in ref["codes"]:
        raise ScenarioProblem(f"{path}: {where}: {value!r} is not a SERAFIN-PH code (see nomenclatures/serafin_codes.csv)")
    if ref["codes"][code] not in kinds:
        raise ScenarioProblem(f"{path}: {where}: {value!r} is a {ref['codes'][code].replace('_', ' ')} code, not {what}")
    return code


def _setting(path: Path, where: str, value: str) -> str:
    settings = _reference()["settings"]
    if value not in settings:
        raise ScenarioProblem(f"{path}: {where}: {value!r} is not a setting ({', '.join(settings)})")
    return value


def _normalise(path: Path, scenario: Scenario) -> Scenario:
    """Codes to their official spelling, categories to their short label; anything unknown stops here."""
    direct = ("prestation_directe",)
    categories = _reference()["categories"]
    for i, rule in enumerate(scenario.rules):
        if isinstance(rule, PerHour | PerPerson):
            rule.prestation = _code(path, f"rules[{i}].prestation", rule.prestation, direct,
                                    "a direct prestation (2.x): rules pay the persons' prestations")
        if isinstance(rule, PerHour) and rule.settings is not None:
            rule.settings = [_setting(path, f"rules[{i}].settings[{j}]", s) for j, s in enumerate(rule.settings)]
        if isinstance(rule, PerNeedLevel):
            rule.need = _code(path, f"rules[{i}].need", rule.need, ("besoin",), "a need (1.x)")
        if isinstance(rule, PerPlace):
            amounts = {}
            for key, amount in rule.amounts.items():
                category = categories.get(str(key).strip().upper()) or categories.get(str(key).strip())
                if category is None:
                    raise ScenarioProblem(f"{path}: rules[{i}].amounts.{key}: {key!r} is not an ESMS category of "
                                          "nomenclatures/esms_categories.csv (FINESS code or short label)")
                amounts[category] = amount
            rule.amounts = amounts
    for i, shift in enumerate(scenario.shifts):
        shift.prestation = _code(path, f"shifts[{i}].prestation", shift.prestation, direct, "a direct prestation (2.x)")
        shift.from_setting = _setting(path, f"shifts[{i}].from_setting", shift.from_setting)
        shift.to_setting = _setting(path, f"shifts[{i}].to_setting", shift.to_setting)
    return scenario


def load_file(path: Path) -> Scenario:
    """One checked scenario file."""
    path = Path(path)
    scenario = load_checked(path, Scenario, ScenarioProblem, "name, rules (and description, years, shifts, sensitivity)",
                            skip=_UNION_MEMBERS, describe=_describe, other_branch=_OTHER_BRANCH)
    return _normalise(path, scenario)


def scenario_files(landing: Path) -> list[Path]:
    folder = Path(landing) / FOLDER
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def load(landing: Path) -> list[tuple[Path, Scenario]]:
    """Every checked scenario of the landing folder, in file-name order; names must be unique."""
    loaded: list[tuple[Path, Scenario]] = []
    names: dict[str, Path] = {}
    for path in scenario_files(landing):
        scenario = load_file(path)
        if scenario.name in names:
            raise ScenarioProblem(f"{path}: name: {scenario.name!r} is already the name of {names[scenario.name]} "
                                  "(each scenario needs its own name)")
        names[scenario.name] = path
        loaded.append((path, scenario))
    return loaded


def rule_name(number: int, rule) -> str:
    """How a rule is named in the marts: its number in the file, kind and code ("2 per_hour 2.1")."""
    code = getattr(rule, "prestation", None) or getattr(rule, "need", None)
    return f"{number} {rule.kind}" + (f" {code}" if code else "")


def as_dbt_var(loaded: list[tuple[Path, Scenario]]) -> list[dict]:
    """What dbt reads (var `scenarios`): one dict per scenario, its rules numbered from 1 in file order."""
    out = []
    for path, s in loaded:
        rules = []
        for n, rule in enumerate(s.rules, start=1):
            tariff = getattr(rule, "tariff", None)
            derived = tariff if isinstance(tariff, DerivedTariff) else None
            rules.append({
                "no": n, "rule": rule_name(n, rule), "kind": rule.kind, "label": rule.label,
                "prestation": getattr(rule, "prestation", None), "need": getattr(rule, "need", None),
                "settings": getattr(rule, "settings", None),
                "tariff": rule.share if isinstance(rule, BaseShare) else (None if derived else tariff),
                "percentile": derived.percentile if derived else None,
                "among": derived.among if derived else None,
                "amounts": {str(k): v for k, v in (getattr(rule, "amounts", None) or {}).items()},
            })
        out.append({"name": s.name, "description": s.description, "file": path.name, "years": s.years or [],
                    "sensitivity": s.sensitivity, "rules": rules,
                    "shifts": [{"no": n, "prestation": sh.prestation, "from_setting": sh.from_setting,
                                "to_setting": sh.to_setting, "share": sh.share}
                               for n, sh in enumerate(s.shifts, start=1)]})
    return out
