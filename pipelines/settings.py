"""Every environment switch and project path, in one place."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the package folder: the repository in a development install, site-packages in a wheel install; the dbt
# project, the nomenclatures and the reports are package data beside `pipelines/` and are only read
ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = ROOT / "dbt_project"
NOMENCLATURES_DIR = ROOT / "nomenclatures"
CACHE_ENV = "SERAFIN_CACHE_DIR"

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


def cache_dir() -> Path:
    """Where the parsed dbt project (manifest) and the Dagster UI's home live: SERAFIN_CACHE_DIR, else
    $XDG_CACHE_HOME/serafin, else ~/.cache/serafin. Never inside the installed package."""
    base = os.environ.get(CACHE_ENV)
    if base:
        return Path(base).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache").resolve() / "serafin"


def dbt_cache_dir() -> Path:
    """The dbt target folder of `dbt parse` (manifest.json, partial parse) for this install of the project."""
    import hashlib

    tag = hashlib.sha256(str(DBT_PROJECT_DIR).encode("utf-8")).hexdigest()[:12]
    return cache_dir() / f"dbt-{tag}"


def dagster_home() -> Path:
    return cache_dir() / "dagster_home"


def dbt_executable() -> str:
    """`serafin-dbt`, dbt's command line that ends with its parent (pipelines/dbt_child.py)."""
    candidate = Path(sys.executable).parent / "serafin-dbt"
    return str(candidate) if candidate.exists() else "serafin-dbt"


def quiet_telemetry() -> None:
    """No machine here reaches the internet: switch off dbt's and Dagster's usage reporting."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    # dbt and dagster are installed beside this Python: make them findable even when the venv is not active
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def project_files() -> list[Path]:
    """Every file whose content shapes a dbt build: models, macros, tests, seeds and the project's config."""
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder, patterns in ((DBT_PROJECT_DIR / "models", ("*.sql", "*.yml")),
                             (DBT_PROJECT_DIR / "macros", ("*.sql",)),
                             (DBT_PROJECT_DIR / "tests", ("*.sql", "*.yml")),
                             (NOMENCLATURES_DIR, ("*.csv", "*.yml"))):
        for pattern in patterns:
            files.extend(folder.rglob(pattern))
    return sorted(p for p in files if p.exists())


def manifest_is_stale(manifest: Path) -> bool:
    """True when the dbt manifest is missing or older than any model, macro, seed or config file."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in project_files())
