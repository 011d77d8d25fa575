"""The dbt project (seeds, staging, validation, core, costs, marts, audit) as Dagster assets."""


import contextlib
import functools
import io
import itertools
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.project import dbt_project
from pipelines.defs.resources import SerafinPaths
from pipelines.parameters import check_parameters, summary


class SerafinTranslator(DagsterDbtTranslator):
    """dbt sources point at the landing assets (one lineage graph); groups follow the model folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "nomenclatures"
        fqn = dbt_resource_props.get("fqn", [])
        if len(fqn) > 3 and fqn[1] in ("intermediate", "marts"):
            return fqn[2]  # the domain: costs, indicators, quality
        return fqn[1] if len(fqn) > 2 else None


class _DebugLog(io.TextIOBase):
    """A text stream that sends each line to a Dagster logger at debug level."""

    def __init__(self, log):
        self._log, self._pending = log, ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self._log.debug(line)
        return len(text)


class DbtRunConfig(dg.Config):
    """Run options: `years` becomes a dbt var (`dbt_vars`); `quiet` keeps dbt's log lines in the debug log."""

    years: list[int] = []  # noqa: RUF012 (a pydantic field: each config gets its own list)
    quiet: bool = True
    # False: models and seeds only, without dbt's data and unit tests (the Spark parity test, whose DuckDB build ran
    # them on the same data); a run always tests by default
    data_tests: bool = True


def landing_config(landing: str | Path) -> dict[str, Any]:
    """The configuration files beside the landing data, checked, as dbt vars: `cooperation` (cooperation.yaml),
    `scenarios` (scenarios/*.yaml), `cpom` (cpom.yaml); absent files give no var. The asset reads them itself,
    so a run started from the Dagster UI uses them too; `serafin run` checked them before anything was built."""
    from pipelines import cooperation, cpom, scenarios
    from pipelines.ingestion import dsn

    loaded = scenarios.load(Path(landing))
    values = {"cooperation": cooperation.as_dbt_var(cooperation.load(Path(landing))),
              "scenarios": scenarios.as_dbt_var(loaded),
              "cpom": cpom.as_dbt_var(cpom.load(Path(landing), [s.name for _, s in loaded])),
              "dsn_sirets": dsn.hand_sirets(Path(landing))}  # DSN workplaces placed by hand
    return {k: v for k, v in values.items() if v}


def dbt_var_values(config: DbtRunConfig, warehouse: str, landing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's dbt vars: the warehouse file (profiles.yml reads it), the run options and the landing folder's
    configuration (`landing_config`)."""
    values: dict[str, Any] = {"warehouse": warehouse}
    if config.years:
        values["years"] = sorted(set(config.years))
    values.update(landing or {})
    return values


def dbt_vars(config: DbtRunConfig, warehouse: str, landing: dict[str, Any] | None = None) -> list[str]:
    """dbt CLI arguments for the run's vars (`dbt_var_values`)."""
    return ["--vars", json.dumps(dbt_var_values(config, warehouse, landing), ensure_ascii=False)]


def _partial_parse_file(warehouse: str, args: list[str]) -> Path:
    """Where the parse of a run with this warehouse file and these arguments is kept between runs. Only the vars
    and the target change what dbt parses: the selection (`--exclude`, `--full-refresh`…) does not, so a month
    added (which excludes what it leaves alone) reuses the parse of the full build before it."""
    import hashlib

    from pipelines import settings

    parsed = [f"{a}={b}" for a, b in itertools.pairwise(args) if a in ("--vars", "--target")]
    tag = hashlib.sha256("\x00".join([warehouse, *parsed]).encode("utf-8")).hexdigest()[:16]
    return settings.dbt_cache_dir() / "partial_parse" / f"{tag}.msgpack"


def _check_cooperation_members(frame: dict | None, paths: SerafinPaths) -> None:
    """cooperation.yaml's members and partners must be in the landing data: checked on the raw rows, before
    dbt builds anything."""
    if not frame:
        return
    import duckdb

    from pipelines import cooperation

    with duckdb.connect(paths.warehouse, read_only=True) as con:
        establishments = {r[0] for r in con.execute(
            "select distinct upper(trim(finess_et)) from raw.establishments where finess_et is not null").fetchall()}
        partners = {r[0] for r in con.execute(
            "select distinct trim(partner_id) from raw.partners where partner_id is not null").fetchall()}
    try:
        cooperation.check_against_data(frame, establishments, partners, Path(paths.landing))
    except cooperation.CooperationProblem as exc:
        raise dg.Failure(description=str(exc)) from None


@functools.cache
def serafin_dbt_assets():
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=SerafinTranslator(),
                name="serafin_dbt", pool="warehouse")
    def serafin_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: SerafinPaths,
                    config: DbtRunConfig):
        problems = check_parameters()
        if problems:
            raise dg.Failure(description=summary(problems),
                             metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))})
        import duckdb

        from pipelines import comptabilite, cooperation, cpom, incremental, scenarios, settings

        try:
            landing = landing_config(paths.landing)
        except (cooperation.CooperationProblem, scenarios.ScenarioProblem, cpom.CpomProblem,
                comptabilite.ComptabiliteProblem) as exc:
            raise dg.Failure(description=str(exc)) from None
        _check_cooperation_members(landing.get("cooperation"), paths)
        # cautious: a test runs only when all the nodes it reads are built (a validation-only run must not run
        # a relationships test of a cost model because the seed it points to was selected)
        args = ["build", "--indirect-selection", "cautious", *dbt_vars(config, paths.warehouse, landing)]
        # incremental when the only landing change since the last build is new activity files (pipelines/incremental.py)
        options = incremental.options_digest(dbt_var_values(config, paths.warehouse, landing))
        with duckdb.connect(paths.warehouse, config=settings.duckdb_config()) as con:
            decision = incremental.plan(con, options, paths.engine)
            incremental.forget(con)
        unchanged: list[str] = []
        if decision.incremental:
            unchanged = incremental.unchanged_nodes(_manifest(project.manifest_path), decision.changed)
            if unchanged:
                args += ["--exclude", " ".join(unchanged)]
        else:
            args.append("--full-refresh")
        if not config.data_tests:
            args += ["--exclude-resource-type", "test", "unit_test"]
        elif decision.incremental:
            # dbt's unit tests check the models' SQL on the rows they give, not the data: an incremental run has the
            # dbt project of the last build (pipelines/incremental.py), which passed them
            args += ["--exclude-resource-type", "unit_test"]
        context.log.info(f"dbt build, {'incremental' if decision.incremental else 'full'}: {decision.reason}"
                         + (f"; {len(unchanged)} seeds and models unchanged" if unchanged else ""))
        spark = _spark_folder(paths) if paths.engine == "spark" else None
        if spark is not None:
            args += ["--target", "spark"]
        target = Path(paths.work) / "dbt"
        saved = _partial_parse_file(paths.warehouse, args)
        if saved.exists():  # dbt re-parses the project (3 s) unless the same profile and vars were parsed before
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(saved, target / "partial_parse.msgpack")
        invocation = dbt.cli(args, context=context, target_path=target)  # dbt starts: a few seconds of its own
        try:
            if _runs_data_quality(context):
                # the data-quality step's process, unless the run started it already (pipelines/run.py): it imports
                # GX (3.5 s) while dbt builds, so the step starts at once
                from pipelines import data_quality

                data_quality.prewarm()
            # Dagster records what dbt leaves alone: upstream of all that dbt builds, so first
            yield from _unchanged_outputs(context, unchanged)
        except BaseException:
            invocation.process.terminate()  # no dbt left writing to the build warehouse
            raise
        if config.quiet:
            # dagster-dbt echoes every dbt log line to stdout; the CLI keeps them in the debug log instead
            with contextlib.redirect_stdout(_DebugLog(context.log)):
                yield from invocation.stream()
        else:
            yield from invocation.stream()
        if (target / "partial_parse.msgpack").exists():
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target / "partial_parse.msgpack", saved)
        with duckdb.connect(paths.warehouse, config=settings.duckdb_config()) as con:
            from pipelines.ingestion import dsn

            dsn.log_unmapped_job_labels(con)  # the DSN's job labels no profession matched, in the run log
            if spark is not None:
                from pipelines import spark_engine

                copied = spark_engine.import_tables(con, spark)
                context.log.info(f"Spark: {copied} tables copied into the warehouse")
            if len(context.selected_asset_keys) == len(context.assets_def.keys):
                # a whole build: the next run may start from it (a subset, e.g. validation only, may not)
                incremental.record(con, options, paths.engine, decision)

    return serafin_dbt


def _runs_data_quality(context: dg.AssetExecutionContext) -> bool:
    """Whether this run materialises audit.data_quality (a run of the whole job has no selection: None or empty)."""
    selected = context.run.asset_selection
    return not selected or dg.AssetKey(["audit", "data_quality"]) in selected


def _manifest(path: Path) -> dict[str, Any]:
    """The parsed project's manifest, read once per version of the file (`serafin ui` re-parses a changed project)."""
    return _read_manifest(str(path), Path(path).stat().st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_manifest(path: str, _mtime: int) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _unchanged_outputs(context: dg.AssetExecutionContext, names: list[str]):
    """The assets of the seeds and models an incremental run left as they were, in the order of their lineage:
    reported as current (their table is the last build's, and a full build would make the same), so that what
    reads them (the data-quality suite, the reports) runs after them as after any build."""
    import graphlib

    wanted = set(names)
    nodes = {uid: node for uid, node in _manifest(dbt_project().manifest_path)["nodes"].items()
             if node["resource_type"] in ("seed", "model") and node["name"] in wanted}
    order = graphlib.TopologicalSorter({uid: [p for p in node["depends_on"].get("nodes", []) if p in nodes]
                                        for uid, node in nodes.items()})
    translator = SerafinTranslator()
    checks: dict[dg.AssetKey, list[dg.AssetCheckSpec]] = {}
    for spec in context.assets_def.check_specs:
        if spec.blocking and spec.key in context.selected_asset_check_keys:
            checks.setdefault(spec.asset_key, []).append(spec)
    for uid in order.static_order():
        key = translator.get_asset_key(nodes[uid])
        if key in context.selected_asset_keys:
            yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                            metadata={"incremental": "unchanged: the last build made it from the same inputs"})
            # its error-severity tests: the last build passed them (it is recorded only when dbt succeeded), on the
            # same rows
            for spec in checks.get(key, []):
                yield dg.AssetCheckResult(asset_key=key, check_name=spec.name, passed=True,
                                          metadata={"incremental": "not run again: the last build passed it on the "
                                                                   "same rows"})


def _spark_folder(paths: SerafinPaths) -> Path:
    """Prepare a Spark build of this run: the raw rows exported as Parquet into the run's work folder, which dbt's
    Spark profile reads from SERAFIN_SPARK_DIR (pipelines/spark_engine.py)."""
    import os

    import duckdb

    from pipelines import spark_engine

    missing = spark_engine.available()
    if missing:
        raise dg.Failure(description=missing)
    folder = Path(paths.work) / "spark"
    spark_engine.prepare(folder)
    with duckdb.connect(paths.warehouse, read_only=True) as con:
        spark_engine.export_raw(con, folder)
    os.environ[spark_engine.SPARK_DIR_ENV] = str(folder)  # dbt's Spark profile reads it (dbt runs as a child)
    return folder
