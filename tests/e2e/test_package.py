"""The installable package (issue 10): a wheel built from the repository carries the dbt project, the
nomenclatures and the reports; installed, it runs `serafin demo` from an empty folder and writes nothing
inside its own folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, own_environ

ROOT = ROOT
PACKAGE_DIRS = ("pipelines", "dbt_project", "nomenclatures", "reports")
SKIP = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                              ".ruff_cache", "serafin-demo", "*.duckdb", "*.raw", "target", "logs")


def _files(site: Path) -> dict[str, int]:
    """Every file of the installed package folders with its size (compiled bytecode aside)."""
    return {str(p.relative_to(site)): p.stat().st_size for d in PACKAGE_DIRS for p in (site / d).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                            "-w", str(work / "dist"), "-q"], check=False, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list((work / "dist").glob("serafin_pipeline-*.whl"))
    assert len(wheels) == 1
    site = work / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target",
                              str(site), str(wheels[0])], check=False, capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    return site


def test_the_wheel_carries_the_project(installed):
    files = _files(installed)
    assert "dbt_project/dbt_project.yml" in files and "dbt_project/profiles.yml" in files
    assert "dbt_project/tests/assert_costs_reconcile_to_ledger.sql" in files
    assert "nomenclatures/serafin_codes.csv" in files and "nomenclatures/account_sections.csv" in files
    assert "nomenclatures/source/JDV-J284-PrestationsDirects-SERAFIN.json" in files
    models = {f for f in files if f.startswith("dbt_project/models/") and f.endswith(".sql")}
    in_repo = {str(p.relative_to(ROOT)) for p in (ROOT / "dbt_project" / "models").rglob("*.sql")}
    assert models == in_repo


def test_installed_package_runs_the_demo_from_an_empty_folder_and_writes_nothing_inside(installed, tmp_path):
    before = _files(installed)
    empty = tmp_path / "empty"
    empty.mkdir()
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import pipelines, pipelines.cli; "
              "print('package at', pipelines.__file__); "
              "sys.exit(pipelines.cli.main(['demo', '--persons', '60', '--years', '2025']))")
    # the installed package first on the path, and not the repository (the working folder is empty)
    env = {k: v for k, v in own_environ().items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", script, str(installed)], cwd=empty, env=env, check=False,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"package at {installed / 'pipelines' / '__init__.py'}" in run.stdout
    assert _files(installed) == before  # no target/, logs/, .user.yml, manifest or report inside the package
    assert sorted(p.name for p in empty.iterdir()) == ["serafin-demo"]
    demo = empty / "serafin-demo"
    assert (demo / "reports" / "couts.html").stat().st_size > 10_000
    with duckdb.connect(str(demo / "warehouse.duckdb"), read_only=True) as con:
        gaps = con.execute("select count(*), max(abs(delta)) from marts.cost_reconciliation where has_ledger").fetchone()
    assert gaps[0] >= 1 and gaps[1] < 0.01
