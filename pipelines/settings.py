"""Every environment switch and project path, in one place."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = ROOT / "dbt_project"
NOMENCLATURES_DIR = ROOT / "nomenclatures"
DAGSTER_HOME = ROOT / ".dagster_home"

WAREHOUSE_ENV = "SERAFIN_WAREHOUSE"  # the DuckDB file, for Dagster, dbt and the CLI alike
LANDING_ENV = "SERAFIN_LANDING"
REPORTS_ENV = "SERAFIN_REPORTS"


DUCKDB_THREADS_ENV = "SERAFIN_DUCKDB_THREADS"  # also read by dbt_project/profiles.yml
DUCKDB_MEMORY_ENV = "SERAFIN_DUCKDB_MEMORY"


def duckdb_config() -> dict[str, str]:
    """DuckDB settings for the warehouse connections opened in Python (dbt reads the same variables):
    threads (default: every core) and a memory limit that leaves room for the dbt process beside it."""
    config = {"memory_limit": os.environ.get(DUCKDB_MEMORY_ENV, "2GB")}
    if os.environ.get(DUCKDB_THREADS_ENV):
        config["threads"] = os.environ[DUCKDB_THREADS_ENV]
    return config


def warehouse_path() -> Path:
    return Path(os.environ.get(WAREHOUSE_ENV, "warehouse.duckdb")).resolve()


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def quiet_telemetry() -> None:
    """No machine here reaches the internet: switch off dbt's and Dagster's usage reporting."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    # dbt and dagster are installed beside this Python: make them findable even when the venv is not active
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def manifest_is_stale(manifest: Path) -> bool:
    """True when the dbt manifest is missing or older than any model, macro, seed or config file."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder, patterns in ((DBT_PROJECT_DIR / "models", ("*.sql", "*.yml")),
                             (DBT_PROJECT_DIR / "macros", ("*.sql",)),
                             (DBT_PROJECT_DIR / "tests", ("*.sql", "*.yml")),
                             (NOMENCLATURES_DIR, ("*.csv", "*.yml"))):
        for pattern in patterns:
            watched.extend(folder.rglob(pattern))
    return any(p.stat().st_mtime > built for p in watched if p.exists())
