"""The dbt project (seeds, staging, validation, core, costs, marts, audit) as Dagster assets."""


import contextlib
import functools
import io
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines import dbt_build, prewarm
from pipelines import landing_config as landing_files
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
    """A text stream that sends each line to the Python logger `serafin.dbt` at debug level (`serafin -v` shows
    them). Not to the run's event log: dbt's own log (dbt.log, kept beside the warehouse when a build fails) has them
    already, and an error of the database may quote a value of the data."""

    def __init__(self):
        import logging

        self._log, self._pending, self._busy = logging.getLogger("serafin.dbt"), "", False

    def write(self, text: str) -> int:
        if self._busy:  # a handler of the logger printing to stdout, which is this stream: to the real stdout
            import sys

            return sys.__stdout__.write(text)
        self._busy = True
        try:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
            for line in lines:
                if line.strip():
                    self._log.debug(line)
        finally:
            self._busy = False
        return len(text)


class DbtRunConfig(dg.Config):
    """Run options: `years` reaches dbt as a run value (dbt_build.environment); `quiet` keeps dbt's log lines in the
    debug log."""

    years: list[int] = []  # noqa: RUF012 (a pydantic field: each config gets its own list)
    quiet: bool = True
    # False: models and seeds only, without dbt's data and unit tests (the Spark parity test, whose DuckDB build ran
    # them on the same data); a run always tests by default
    data_tests: bool = True

    def options(self) -> dbt_build.Options:
        return dbt_build.Options(tuple(self.years), self.data_tests)


landing_config = landing_files.dbt_vars  # the landing folder's configuration files as dbt's run values


def build_arguments(paths: SerafinPaths, config: DbtRunConfig) -> dbt_build.Build:
    """The build's arguments and plan (pipelines/dbt_build.py), or dg.Failure naming the file and what is wrong."""
    problems = check_parameters()
    if problems:
        raise dg.Failure(description=summary(problems),
                         metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))})
    try:
        landing = landing_files.dbt_vars(paths.landing)
        dbt_build.check_cooperation_members(landing.get("cooperation"), paths.warehouse, paths.landing)
        values = dbt_build.var_values(config.options(), paths.warehouse, landing)
        return dbt_build.prepare(paths.warehouse, paths.work, paths.engine, values, config.options())
    except (*landing_files.PROBLEMS, RuntimeError) as exc:  # RuntimeError: Spark is missing
        raise dg.Failure(description=str(exc)) from None


@functools.cache
def serafin_dbt_assets():
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=SerafinTranslator(),
                name="serafin_dbt", pool="warehouse")
    def serafin_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: SerafinPaths,
                    config: DbtRunConfig):
        build = build_arguments(paths, config)
        context.log.info(f"dbt build, {'incremental' if build.decision.incremental else 'full'}: "
                         f"{build.decision.reason}" + (f"; {len(build.unchanged)} seeds and models unchanged"
                                                       if build.unchanged else ""))
        with dbt_build.environment_of(build.env):
            invocation = dbt.cli(build.args, context=context, target_path=build.target)  # a few seconds of its own
        try:
            children = prewarm.of(paths.work)  # the processes `serafin run` started ahead (none from the UI)
            if children is not None and _runs_data_quality(context):  # GX's import (3.5 s) while dbt builds
                children.start_quality()
            # Dagster records what dbt leaves alone: upstream of all that dbt builds, so first; their checks once dbt
            # has run (a test that reads a rebuilt node too is run again by dbt, and reported by it)
            unchanged_checks: list[dg.AssetCheckResult] = []
            yield from _unchanged_outputs(context, build.unchanged, unchanged_checks)
        except BaseException:
            invocation.process.terminate()  # no dbt left writing to the build warehouse
            raise
        reported: set[tuple[dg.AssetKey, str]] = set()
        with contextlib.redirect_stdout(_DebugLog()) if config.quiet else contextlib.nullcontext():
            # dagster-dbt echoes every dbt log line to stdout; the CLI keeps them in the debug log
            for event in invocation.stream():
                if isinstance(event, dg.AssetCheckResult):
                    reported.add((event.asset_key, event.check_name))
                yield event
        yield from (c for c in unchanged_checks if (c.asset_key, c.check_name) not in reported)
        whole = len(context.selected_asset_keys) == len(context.assets_def.keys)  # a subset may not be a base
        copied = dbt_build.finish(build, paths.warehouse, paths.engine, whole)
        if copied is not None:
            context.log.info(f"Spark: {copied} tables copied into the warehouse")
        yield from _observations(context, paths.warehouse)

    return serafin_dbt


def _observations(context: dg.AssetExecutionContext, warehouse: str):
    """After the build: each raw table's landing files as audit.ingestion_log counts them, each mart's row count;
    the DSN job labels loaded as `autre` listed in the run log."""
    import duckdb

    from pipelines.defs.landing import file_observations
    from pipelines.ingestion import dsn

    built = {tuple(k.path) for k in context.selected_asset_keys}
    with duckdb.connect(warehouse, read_only=True) as con:
        dsn.log_unmapped_job_labels(con)  # the DSN's job labels no profession matched, in the run log
        if ("audit", "ingestion_log") in built:
            yield from file_observations(con)
        marts = [name for schema, name in built if schema == "marts"]
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' and table_type = 'BASE TABLE'").fetchall()}
        for name in sorted(set(marts) & tables):
            rows = con.execute(f'select count(*) from marts."{name}"').fetchone()[0]
            yield dg.AssetObservation(asset_key=["marts", name], metadata={"dagster/row_count": int(rows)})


def _runs_data_quality(context: dg.AssetExecutionContext) -> bool:
    """Whether this run materialises audit.data_quality (a run of the whole job has no selection: None or empty)."""
    selected = context.run.asset_selection
    return not selected or dg.AssetKey(["audit", "data_quality"]) in selected


def _unchanged_outputs(context: dg.AssetExecutionContext, names: list[str], checks_out: list[dg.AssetCheckResult]):
    """The assets of the seeds and models an incremental run left as they were, in the order of their lineage:
    reported as current (their table is the last build's, and a full build would make the same), so that what
    reads them (the data-quality suite, the reports) runs after them as after any build. Their error-severity
    checks, passed by the last build, go to `checks_out`: reported after dbt, unless dbt ran the test again."""
    import graphlib

    wanted = set(names)
    nodes = {uid: node for uid, node in dbt_build.manifest()["nodes"].items()
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
            checks_out.extend(dg.AssetCheckResult(asset_key=key, check_name=spec.name, passed=True,
                                                  metadata={"incremental": "not run again: the last build passed it "
                                                                           "on the same rows"})
                              for spec in checks.get(key, []))
