"""A run's dbt build, apart from Dagster: which build (incremental or full, pipelines/incremental.py), its command
line (a pure function of the plan), dbt's parse kept between runs, the Spark export and import, and what the build
records for the next run. The dbt asset (pipelines/defs/dbt.py) prepares a `Build`, streams dbt, then finishes it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import dbt_child, incremental, scenario_sql, settings


@dataclass(frozen=True)
class Options:
    """The run's options for dbt: `years` becomes a dbt var; `data_tests` False builds models and seeds only."""

    years: tuple[int, ...] = ()
    data_tests: bool = True


@dataclass
class Build:
    """One prepared build: dbt's arguments, its environment, and what the run needs around it."""

    args: list[str]
    env: dict[str, str | None]  # the run's values for dbt (`environment`); None: unset
    decision: incremental.Plan
    options_digest: str
    target: Path            # dbt's target folder, in the run's work folder
    unchanged: list[str] = field(default_factory=list)  # seeds and models an incremental run leaves alone
    spark: Path | None = None  # the Spark build's folder of raw rows (engine "spark")


# what a run gives dbt besides the project, each read by the macro serafin.run_var (dbt_project/macros/run_options.sql)
RUN_VARS = ("years", "cooperation", "scenarios", "cpom", "dsn_sirets")
VAR_ENV = "SERAFIN_VAR_"  # + the name in capitals: its JSON
WAREHOUSE_ENV = "SERAFIN_DBT_WAREHOUSE"  # the warehouse file's name, which profiles.yml reads


def var_values(options: Options, warehouse: str, landing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's values for dbt: the warehouse file, the years and the landing folder's configuration files
    (pipelines/landing_config.py)."""
    values: dict[str, Any] = {"warehouse": warehouse}
    if options.years:
        values["years"] = sorted(set(options.years))
    values.update(landing or {})
    return values


def environment(values: dict[str, Any]) -> dict[str, str | None]:
    """The run's values as dbt's environment (pure): not `--vars`, whose every change makes dbt parse the whole
    project again (about 5 s); a changed environment variable re-parses only the models that read it. dbt starts in
    the warehouse's folder (pipelines/dbt_child.py) and profiles.yml names the file, so that the parse does not
    depend on the folder either. A value the run does not give is absent (None): not inherited from a run before."""
    warehouse = Path(values["warehouse"])
    env: dict[str, str | None] = {WAREHOUSE_ENV: warehouse.name, dbt_child.CWD_ENV: str(warehouse.parent)}
    for name in RUN_VARS:
        given = values.get(name)
        env[VAR_ENV + name.upper()] = json.dumps(given, ensure_ascii=False) if given else None
    return env


@contextlib.contextmanager
def environment_of(env: dict[str, str | None]):
    """`env` set in this process (None: unset) while dagster-dbt starts dbt, which it hands a copy of it."""
    before = {name: os.environ.get(name) for name in env}
    try:
        _set(env)
        yield
    finally:
        _set(before)


def _set(env: dict[str, str | None]) -> None:
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def arguments(decision: incremental.Plan, unchanged: list[str], options: Options, spark: bool = False) -> list[str]:
    """dbt's command line for the build (pure; the run's values go by `environment`). `cautious`: a test runs only
    when all the nodes it reads are built (a validation-only run must not run a relationships test of a cost model
    because the seed it points to was selected)."""
    args = ["build", "--indirect-selection", "cautious"]
    if decision.incremental:
        if unchanged:
            args += ["--exclude", " ".join(unchanged)]
    else:
        args.append("--full-refresh")
    # dbt's unit tests check the project's SQL on the rows they give, not the user's data: the test suite runs them
    # (tests/sql/test_dbt_unit_tests.py), a run never does
    args += ["--exclude-resource-type", "unit_test"] if options.data_tests else ["--exclude-resource-type", "test",
                                                                                  "unit_test"]
    if spark:
        args += ["--target", "spark"]
    return args


def prepare(warehouse: str, work: str, engine: str, values: dict[str, Any], options: Options) -> Build:
    """Decide the build on the warehouse's facts (which forgets its last build until this one succeeds), export the
    raw rows for Spark when it builds, and put back dbt's parse of the same profile and vars."""
    import duckdb

    digest = incremental.options_digest(values)
    with duckdb.connect(warehouse, config=settings.duckdb_config()) as con:
        decision = incremental.plan(con, digest, engine)
        incremental.forget(con)
    unchanged = incremental.unchanged_nodes(manifest(), decision.changed) if decision.incremental else []
    spark = _spark_folder(warehouse, work) if engine == "spark" else None
    build = Build(arguments(decision, unchanged, options, spark is not None), environment(values), decision,
                  digest, Path(work) / "dbt", unchanged, spark)
    reuse_parse(warehouse, build.args, build.target)
    return build


def reuse_parse(warehouse: str, args: list[str], target: Path) -> None:
    """dbt parses the whole project (about 5 s) unless it finds in its target folder a parse of the same profile: a
    run's before, else the manifest's (`dbt parse`, pipelines/defs/project.py), which holds when the warehouse file
    has the default name."""
    for saved in (parse_cache_file(warehouse, args), settings.dbt_cache_dir() / "partial_parse.msgpack"):
        if saved.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(saved, target / "partial_parse.msgpack")
            return


def finish(build: Build, warehouse: str, engine: str, whole: bool) -> int | None:
    """dbt succeeded: keep its parse for the next run, copy Spark's tables into the warehouse (their count, or None
    when DuckDB built), and record the build for the next run when it was `whole` (a subset, e.g. validation only,
    may not be a base)."""
    import duckdb

    parsed = build.target / "partial_parse.msgpack"
    if parsed.exists():  # whole or not at all: another run may be reading it
        saved = parse_cache_file(warehouse, build.args)
        saved.parent.mkdir(parents=True, exist_ok=True)
        partial = saved.with_name(f"{saved.name}.{os.getpid()}")
        shutil.copyfile(parsed, partial)
        os.replace(partial, saved)
    copied = None
    with duckdb.connect(warehouse, config=settings.duckdb_config()) as con:
        if build.spark is not None:
            from pipelines import spark_engine

            copied = spark_engine.import_tables(con, build.spark)
        if whole:
            incremental.record(con, build.options_digest, engine, build.decision)
        # what `serafin scenario` runs without dbt (pipelines/scenario_sql.py)
        scenario_sql.keep(con, build.target / "manifest.json", engine)
    return copied


def parse_cache_file(warehouse: str, args: list[str]) -> Path:
    """Where the parse of a run with a warehouse file of this name and these arguments is kept between runs. Only
    the file's name, the vars and the target change what dbt parses: the selection (`--exclude`, `--full-refresh`…)
    does not, so a month added (which excludes what it leaves alone) reuses the parse of the full build before it."""
    import hashlib

    parsed = [f"{a}={b}" for a, b in itertools.pairwise(args) if a in ("--vars", "--target")]
    tag = hashlib.sha256("\x00".join([Path(warehouse).name, *parsed]).encode("utf-8")).hexdigest()[:16]
    return settings.dbt_cache_dir() / "partial_parse" / f"{tag}.msgpack"


def check_cooperation_members(frame: dict | None, warehouse: str, landing: str) -> None:
    """cooperation.yaml's members and partners must be in the landing data: checked on the raw rows, before dbt
    builds anything (CooperationProblem)."""
    if not frame:
        return
    import duckdb

    from pipelines import cooperation

    with duckdb.connect(warehouse, read_only=True) as con:
        establishments = {r[0] for r in con.execute(
            "select distinct upper(trim(finess_et)) from raw.establishments where finess_et is not null").fetchall()}
        partners = {r[0] for r in con.execute(
            "select distinct trim(partner_id) from raw.partners where partner_id is not null").fetchall()}
    cooperation.check_against_data(frame, establishments, partners, Path(landing))


def manifest() -> dict[str, Any]:
    """The parsed project's manifest, read once per version of the file (`serafin ui` re-parses a changed
    project)."""
    path = settings.dbt_cache_dir() / "manifest.json"
    return _read_manifest(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_manifest(path: str, _mtime: int) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _spark_folder(warehouse: str, work: str) -> Path:
    """Prepare a Spark build of this run: the raw rows exported as Parquet into the run's work folder, which dbt's
    Spark profile reads from SERAFIN_SPARK_DIR (pipelines/spark_engine.py). RuntimeError when Spark is missing."""
    import os

    import duckdb

    from pipelines import spark_engine

    missing = spark_engine.available()
    if missing:
        raise RuntimeError(missing)
    folder = Path(work) / "spark"
    spark_engine.prepare(folder)
    with duckdb.connect(warehouse, read_only=True) as con:
        spark_engine.export_raw(con, folder)
    os.environ[spark_engine.SPARK_DIR_ENV] = str(folder)  # dbt's Spark profile reads it (dbt runs as a child)
    return folder
