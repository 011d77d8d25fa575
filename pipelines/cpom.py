"""`cpom.yaml`: the parameters of the CPOM's five-year trajectory (marts.cpom_trajectory), read from the root of
the landing folder and checked before anything is built. Optional: without it the defaults of
nomenclatures/cpom_parameters.csv apply, the CPOM starts the year after the last observed year, no change of
places is planned and the current funding model goes on.

```yaml
start_year: 2026                 # first year of the CPOM (default: the year after the last observed year)
cpom_years: 5                    # overrides of nomenclatures/cpom_parameters.csv
personnel_growth: 0.02
other_growth: 0.015
funding_growth: 0.01
convergence_years: 5
target_scenario: Besoins et milieu ordinaire   # a scenario of scenarios/: the target funding model
places:                          # planned changes of authorised places, from that year on
  - {finess_et: "690133897", year: 2027, change: 5}
```
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipelines.config_files import StrictModel, finess_field, load_checked

FILE_NAME = "cpom.yaml"


class CpomProblem(Exception):
    """cpom.yaml cannot be used; the message names the file, the key path and what is wrong."""


class PlaceChange(StrictModel):
    finess_et: str = finess_field()
    year: int = Field(ge=2000, le=2100)
    change: int


class Cpom(StrictModel):
    start_year: int | None = Field(default=None, ge=2000, le=2100)
    cpom_years: int | None = Field(default=None, ge=1, le=10)
    personnel_growth: float | None = Field(default=None, ge=-0.5, le=0.5)
    other_growth: float | None = Field(default=None, ge=-0.5, le=0.5)
    funding_growth: float | None = Field(default=None, ge=-0.5, le=0.5)
    convergence_years: int | None = Field(default=None, ge=1, le=10)
    target_scenario: str | None = None
    places: list[PlaceChange] = Field(default_factory=list)


def load(landing: Path, scenario_names: list[str] | None = None) -> Cpom | None:
    """The checked parameters of the landing folder, or None without cpom.yaml; the target scenario must be one
    of the landing folder's scenario names."""
    path = Path(landing) / FILE_NAME
    if not path.exists():
        return None
    cpom = load_checked(path, Cpom, CpomProblem, "start_year, personnel_growth, places…")
    if cpom.target_scenario is not None and cpom.target_scenario not in (scenario_names or []):
        known = ", ".join(repr(n) for n in scenario_names or []) or "none in scenarios/"
        raise CpomProblem(f"{path}: target_scenario: {cpom.target_scenario!r} is not the name of a scenario "
                          f"({known})")
    return cpom


def as_dbt_var(cpom: Cpom | None) -> dict | None:
    """What dbt reads (var `cpom`): the overrides given, the target scenario and the changes of places."""
    if cpom is None:
        return None
    data = cpom.model_dump(exclude_none=True)
    data["places"] = [p.model_dump() for p in cpom.places]
    return data
