"""What a run checks before a single file is read, each problem as one sentence (RunFailed): the engine, the
parameter files, the landing folder, the pseudonymisation key, the configuration files beside the landing data and
a writable folder for the warehouse."""

from __future__ import annotations

import os

from pipelines import landing_config
from pipelines.warehouse import RunFailed, RunPaths


def preflight(paths: RunPaths) -> None:
    """Raise RunFailed with one sentence when something would stop the run."""
    from pipelines.ingestion.pseudonym import KeyProblem, load_key
    from pipelines.parameters import check_parameters, summary

    if paths.engine == "spark":
        from pipelines import spark_engine

        missing = spark_engine.available()
        if missing:
            raise RunFailed(missing)
    problems = check_parameters()
    if problems:
        details = "".join(f"\n  - {p}" for p in problems) if len(problems) > 1 else ""
        raise RunFailed(summary(problems) + details)
    if not paths.landing.is_dir():
        what = "is not a folder" if paths.landing.exists() else "does not exist"
        raise RunFailed(f"the landing folder {paths.landing} {what}: give the folder that holds the exports "
                        "with --landing")
    try:
        load_key()
    except KeyProblem as exc:
        raise RunFailed(str(exc)) from None
    try:
        landing_config.dbt_vars(paths.landing)
    except landing_config.PROBLEMS as exc:
        raise RunFailed(str(exc)) from None
    _writable_folder(paths)


def _writable_folder(paths: RunPaths) -> None:
    folder = paths.warehouse.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFailed(f"cannot create the warehouse folder {folder} ({exc.strerror}): choose another "
                        "--warehouse") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RunFailed(f"the warehouse folder {folder} is not writable (a run builds the new warehouse beside "
                        "the current one): make it writable or choose another --warehouse")
