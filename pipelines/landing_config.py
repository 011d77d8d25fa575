"""The configuration files beside the landing data, read and checked in one place: `cooperation.yaml`,
`scenarios/*.yaml`, `cpom.yaml`, `comptabilite.yaml`. The run's preflight (pipelines/preflight.py) reads them before anything is built; the
dbt asset (pipelines/defs/dbt.py) reads them again, so that a run started from the Dagster UI uses them too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines import comptabilite, cooperation, cpom, scenarios

# a bad file raises one of these, its message one line naming the file, the key path and what is wrong
PROBLEMS: tuple[type[Exception], ...] = (cooperation.CooperationProblem, scenarios.ScenarioProblem, cpom.CpomProblem,
                                         comptabilite.ComptabiliteProblem)


def dbt_vars(landing: str | Path) -> dict[str, Any]:
    """The files, checked, as dbt's run values: `cooperation`, `scenarios`, `cpom`, `dsn_sirets` (comptabilite.yaml's
    `sirets:`); an absent file gives no var."""
    landing = Path(landing)
    accounts = comptabilite.load(landing)  # the FEC's split is read by the ingestion; its `sirets:` by dbt
    loaded = scenarios.load(landing)
    values = {"cooperation": cooperation.as_dbt_var(cooperation.load(landing)),
              "scenarios": scenarios.as_dbt_var(loaded),
              "cpom": cpom.as_dbt_var(cpom.load(landing, [s.name for _, s in loaded])),
              "dsn_sirets": dict(accounts.sirets) if accounts else {}}  # DSN workplaces placed by hand
    return {k: v for k, v in values.items() if v}
