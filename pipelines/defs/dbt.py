"""The dbt project (seeds, staging, validation, core, costs, marts, audit) as Dagster assets."""


import contextlib
import functools
import io
import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.project import dbt_project
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
        if len(fqn) > 3 and fqn[1] == "intermediate":
            return fqn[2]
        return fqn[1] if len(fqn) > 2 else None


QUIET_ENV = "SERAFIN_QUIET_DBT"  # set by `serafin` unless --verbose


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
    """Run options, turned into dbt --vars by `dbt_vars`."""

    years: list[int] = []


def dbt_vars(config: DbtRunConfig) -> list[str]:
    """dbt CLI arguments for the run options (pure, unit-tested)."""
    values: dict[str, Any] = {}
    if config.years:
        values["years"] = sorted(set(config.years))
    return ["--vars", json.dumps(values)] if values else []


@functools.cache
def serafin_dbt_assets():
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=SerafinTranslator(),
                name="serafin_dbt", pool="warehouse")
    def serafin_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig):
        problems = check_parameters()
        if problems:
            raise dg.Failure(description=summary(problems),
                             metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))})
        invocation = dbt.cli(["build", *dbt_vars(config)], context=context)
        if os.environ.get(QUIET_ENV) == "1":
            # dagster-dbt echoes every dbt log line to stdout; the CLI keeps them in the debug log instead
            with contextlib.redirect_stdout(_DebugLog(context.log)):
                yield from invocation.stream()
        else:
            yield from invocation.stream()

    return serafin_dbt
