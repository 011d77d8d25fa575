"""`cooperation.yaml`: the cooperation's frame (members, partners, strategic and operational objectives with
their yearly targets), read from the root of the landing folder and checked before anything is built.

The format is docs' cooperation.md. A bad file stops the run with one line naming the file, the key path
(`objectives[2].indicator`) and what is wrong. The checked frame reaches dbt as the run value
`cooperation` (pipelines/dbt_build.environment): the members form the indicator scope `cooperation` (intermediate/indicators), and
marts.objectives compares each objective's actual with its targets.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from pipelines.config_files import StrictModel, finess_field, load_checked

FILE_NAME = "cooperation.yaml"


class CooperationProblem(Exception):
    """cooperation.yaml cannot be used; the message names the file, the key path and what is wrong."""


class Member(StrictModel):
    finess_et: str = finess_field()
    role: str | None = None


class StrategicObjective(StrictModel):
    id: str
    label: str
    objectives: list[str] = Field(default_factory=list)


class Objective(StrictModel):
    id: str
    label: str
    indicator: str
    scope: str = "platform"
    direction: Literal["increase", "decrease"]
    targets: dict[int, float]
    tolerance: float = Field(default=0.10, ge=0, le=1)
    owner: str | None = None

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_text(cls, value):
        return str(value)


class Cooperation(StrictModel):
    name: str
    finality: str | None = None
    members: list[Member] = Field(min_length=1)
    partners: list[str] = Field(default_factory=list)
    strategic_objectives: list[StrategicObjective] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)

    @field_validator("partners", mode="before")
    @classmethod
    def _partner_text(cls, value):
        return [str(v) for v in value] if isinstance(value, list) else value


def _catalogue() -> list[str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        return [row["indicator_id"] for row in csv.DictReader(handle)]


def load(landing: Path) -> Cooperation | None:
    """The checked frame of the landing folder, or None when it has no cooperation.yaml."""
    path = Path(landing) / FILE_NAME
    if not path.exists():
        return None
    frame = load_checked(path, Cooperation, CooperationProblem, "name, members, objectives…")
    _check_references(path, frame)
    return frame


def _check_references(path: Path, frame: Cooperation) -> None:
    catalogue = _catalogue()
    members = [m.finess_et for m in frame.members]
    for i, objective in enumerate(frame.objectives):
        if objective.indicator not in catalogue:
            raise CooperationProblem(f"{path}: objectives[{i}].indicator: {objective.indicator!r} is not an indicator "
                                     f"of the catalogue ({', '.join(catalogue)})")
        if objective.scope != "platform" and objective.scope not in members:
            raise CooperationProblem(f"{path}: objectives[{i}].scope: {objective.scope!r} is neither platform nor "
                                     "the FINESS of a member")
    ids = [o.id for o in frame.objectives]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise CooperationProblem(f"{path}: objectives: the id {twice[0]!r} is given twice")
    seen: dict[str, str] = {}
    for i, strategic in enumerate(frame.strategic_objectives):
        for j, objective_id in enumerate(strategic.objectives):
            if objective_id not in ids:
                raise CooperationProblem(f"{path}: strategic_objectives[{i}].objectives[{j}]: {objective_id!r} is not "
                                         "the id of an objective")
            if objective_id in seen:
                raise CooperationProblem(f"{path}: strategic_objectives[{i}].objectives[{j}]: {objective_id!r} is "
                                         f"already under {seen[objective_id]!r}")
            seen[objective_id] = strategic.id


def check_against_data(var: dict, establishments: set[str], partners: set[str], landing: Path) -> None:
    """The members (of the dbt var, `as_dbt_var`) must be ESMS of establishments, the partners partners of
    partners.csv (the landing data, once read)."""
    path = Path(landing) / FILE_NAME
    for i, member in enumerate(var["members"]):
        if member not in establishments:
            raise CooperationProblem(f"{path}: members[{i}].finess_et: {member!r} is not in establishments")
    for i, partner in enumerate(var["partners"]):
        if partner not in partners:
            raise CooperationProblem(f"{path}: partners[{i}]: {partner!r} is not in partners")


def as_dbt_var(frame: Cooperation | None) -> dict | None:
    """What dbt reads (var `cooperation`): members, partners and one row per objective and target year."""
    if frame is None:
        return None
    strategic = {o: s.id for s in frame.strategic_objectives for o in s.objectives}
    return {
        "name": frame.name,
        "finality": frame.finality,
        "members": [m.finess_et for m in frame.members],
        "roles": {m.finess_et: m.role for m in frame.members if m.role},
        "strategic_objectives": [{"id": s.id, "label": s.label} for s in frame.strategic_objectives],
        "partners": list(frame.partners),
        "objectives": [{"id": o.id, "strategic": strategic.get(o.id), "label": o.label, "indicator": o.indicator,
                        "scope": o.scope, "direction": o.direction, "tolerance": o.tolerance, "owner": o.owner,
                        "targets": {str(year): value for year, value in sorted(o.targets.items())}}
                       for o in frame.objectives],
    }
