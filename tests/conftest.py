"""Shared fixtures: each landing folder is built once per session and run through the real pipeline
(Python ingestion, dbt on a DuckDB file, orchestrated by Dagster in-process)."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the repository
FIXTURES = TESTS / "fixtures"  # landing folders and files the tests read, kept in the repository
# the landing folder of the cost method's worked example (ESMS 690000013, year 2025)
WORKED_EXAMPLE = FIXTURES / "worked_example"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")  # dbt would write .user.yml in the project
os.environ.setdefault("SERAFIN_PSEUDONYM_KEY", "test-key-not-secret-but-32-bytes-long")
# the parsed dbt project goes to a cache folder of the test session, not to the user's
os.environ.setdefault("SERAFIN_CACHE_DIR", tempfile.mkdtemp(prefix="serafin-test-cache-"))
# the board pack (Chromium printing a PDF, reports/pack.py) only in the demo run, which test_reports.py reads
os.environ.setdefault("SERAFIN_BOARD_PACK", "0")


@pytest.fixture(scope="session", autouse=True)
def warm_dbt(tmp_path_factory):
    """One warm dbt for the test process (`serafin-dbt --many`, pipelines/dbt_child.py): each dbt command of its
    runs is a process forked from it, dbt imported once per test process instead of once per run (about 2.5 s of
    CPU each). The processes a test starts as a user would (`own_environ`) start their own, as `serafin run` does."""
    from pipelines.dbt_child import MANY_ENV, Warm

    warm = Warm(tmp_path_factory.mktemp("dbt"), many=True)
    os.environ[MANY_ENV] = str(warm.path)
    try:
        yield warm
    finally:
        os.environ.pop(MANY_ENV, None)
        warm.stop()


@pytest.fixture(scope="session", autouse=True)
def warm_quality(tmp_path_factory):
    """One data-quality worker for the test process (`quality_worker.Many`): Great Expectations imported once (about
    3 s of CPU), each run's checks in a process forked from it, as `warm_dbt` does for dbt."""
    from pipelines.quality_worker import MANY_ENV, Many

    many = Many(tmp_path_factory.mktemp("gx"))
    os.environ[MANY_ENV] = str(many.path)
    try:
        yield many
    finally:
        os.environ.pop(MANY_ENV, None)
        many.stop()


def own_environ() -> dict[str, str]:
    """This process's environment for a process started as a user starts one: without the test process's warm dbt
    (`warm_dbt`) and data-quality worker (`warm_quality`), so that its runs start and end their own processes, whose
    command lines name their warehouse."""
    from pipelines import dbt_child, quality_worker

    shared = {dbt_child.MANY_ENV, quality_worker.MANY_ENV}
    return {name: value for name, value in os.environ.items() if name not in shared}


def run_pipeline(landing: Path, workdir: Path, validate_only: bool = False, *, pages: bool = True,
                 data_quality: bool = True):
    """A run of `landing` into `workdir`: the whole pipeline by default; `validate_only`: ingestion and validation
    (`serafin validate`); `pages` False: without the report pages (`serafin run --no-reports`); `data_quality`
    False: without the data-quality checks and the pages (`--warehouse-only`), for a test that reads neither."""
    from pipelines.cli import execute

    warehouse = workdir / "warehouse.duckdb"
    ok, reason = execute(landing, warehouse, workdir / "reports", validate_only=validate_only, pages=pages,
                         data_quality=data_quality)
    return ok, reason, warehouse


def run_dbt(warehouse: Path, args: list[str], workdir: Path) -> tuple[bool, dict[str, str]]:
    """Run the real dbt CLI (through dagster-dbt's resource) against a warehouse: success, and the
    status of each node run (e.g. {"test.serafin.assert_costs_reconcile_to_ledger": "fail"})."""
    import json

    from dagster_dbt import DbtCliResource

    from pipelines import dbt_build, settings

    dbt = DbtCliResource(project_dir=str(settings.DBT_PROJECT_DIR), profiles_dir=str(settings.DBT_PROJECT_DIR),
                         dbt_executable=settings.dbt_executable())
    env: dict[str, str | None] = {}
    if "--vars" in args:  # the warehouse file is a dbt var too (profiles.yml reads it first)
        at = args.index("--vars") + 1
        args = [*args[:at], json.dumps({**json.loads(args[at]), "warehouse": str(warehouse)}), *args[at + 1:]]
    else:  # as a run gives it (pipelines/dbt_build.environment): dbt keeps the parse of the runs before
        env = {key: value for key, value in dbt_build.environment({"warehouse": str(warehouse)}).items()
               if not key.startswith(dbt_build.VAR_ENV)}  # a run value the test set itself stays
        dbt_build.reuse_parse(str(warehouse), args, workdir / "target")
    with dbt_build.environment_of(env):
        invocation = dbt.cli(args, raise_on_error=False, target_path=workdir / "target")
    invocation.wait()
    results = invocation.get_artifact("run_results.json")["results"]
    # the project's on-run-start hook (dbt_project/macros/engines.sql) is an operation, not a node that was asked for
    return invocation.is_successful(), {r["unique_id"]: r["status"] for r in results
                                        if not r["unique_id"].startswith("operation.")}


class Warehouse:
    def __init__(self, path: Path):
        self.path = path

    def rows(self, sql: str, params=None):
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params=None):
        return self.rows(sql, params)[0][0]


@pytest.fixture(scope="session")
def worked_example(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("worked")
    landing = work / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    ok, reason, warehouse = run_pipeline(landing, work)
    assert ok, reason
    return Warehouse(warehouse)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Warehouse:
    """The built-in demo (400 persons, 2024-2025) through the whole pipeline, reports included; read by the demo,
    report and browser tests."""
    import logging

    from pipelines.demo.generate import GeneratorConfig, generate

    work = tmp_path_factory.mktemp("demo")
    # as `serafin demo`: the last month of activity comes as TDDUI FHIR files
    generate(work / "landing", GeneratorConfig(persons=400, years=[2024, 2025], seed=7, fhir=True))
    # every log line of the run kept in run.log (the privacy scan of tests/e2e/test_data_quality.py reads it)
    handler = logging.FileHandler(work / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    # "serafin" and Dagster's too: a `serafin` command run earlier in this test process (pipelines/cli.py) set them
    # to WARNING
    loggers = [root, *(logging.getLogger(name) for name in ("serafin", "dagster", "dagster.builtin"))]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        os.environ["SERAFIN_BOARD_PACK"] = "1"
        ok, reason, warehouse = run_pipeline(work / "landing", work)
    finally:
        os.environ["SERAFIN_BOARD_PACK"] = "0"
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        handler.close()
    assert ok, reason
    return Warehouse(warehouse)


# --- two workers, each session landing built once -------------------------------------------------------------------
# Each test file goes whole to one worker, and the files that read the demo landing (a function of theirs takes the
# fixture `demo`) all to the same one, as do those that read the worked example: each session landing is built once
# in the suite, not once per worker. The heaviest groups are handed out first, so that neither worker is left with a
# long one at the end. (xdist's own `loadgroup` marks do not reach its scheduler under pytest 9, which no longer reads
# the node id xdist rewrites: hence a scheduler of our own.)
FIRST = ("demo", "tests/e2e/test_spark_parity.py", "worked")


@functools.cache
def landing_group(module: str) -> str:
    """The group of a test file (its path from the repository): "demo", "worked", or the file itself."""
    import ast

    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    names = {a.arg for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
             for a in node.args.args}
    return "demo" if "demo" in names else "worked" if "worked_example" in names else module


def _rank(nodeid: str) -> int:
    group = landing_group(nodeid.split("::")[0])
    return FIRST.index(group) if group in FIRST else len(FIRST)


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):  # a worker's collection, in the order the scheduler hands it out
        items.sort(key=lambda item: _rank(item.nodeid))  # stable: within a file, the tests keep their order


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class SessionLandings(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return landing_group(nodeid.split("::")[0])

    config.option.loadscopereorder = False  # the collection's order (heaviest first), not the groups' sizes
    return SessionLandings(config, log)
