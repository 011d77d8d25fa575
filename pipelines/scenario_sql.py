"""The scenario models as SQL kept in the warehouse, so that `serafin scenario FILE` re-runs them without dbt.

No var of a run changes the SQL of the scenario models (dbt tag `scenario`): they read the scenarios from the
*scenario inputs* (tag `scenario_input`: int_funding_rules, int_funding_rule_values, int_funding_scenario_years,
int_funding_shifts, marts.funding_scenarios), which a run builds from the var `scenarios`. At the end of a run's
dbt build, `keep` stores in `audit.scenario_models` the compiled SQL of every scenario model and of
cpom_trajectory (whose SQL holds the run's cpom.yaml, which `serafin scenario` never changes), in the order of
their lineage, with the dbt version and the digest of the project that compiled them.

`rerun` is then one DuckDB transaction on the warehouse: the scenario's rows of each input replaced
(`input_rows`, the same rows the input models make of the var), then each model in order emptied and filled again
by its compiled select (`insert ... by name`, which keeps the table, its column types and what reads it); any error
rolls everything back. Without stored SQL, or with SQL of another project or dbt version, `stored` says why and
the caller builds with dbt instead (pipelines/scenario_rerun.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE = "audit.scenario_models"
INPUT_TAG = "scenario_input"
CPOM_MODEL = "cpom_trajectory"


@dataclass(frozen=True)
class Step:
    model: str
    relation: str  # "schema"."name", without the catalog
    sql: str       # the model's compiled select
    role: str      # input (its rows replaced), scenario (rebuilt) or cpom (rebuilt when the file is the target)


def versions() -> str:
    """The dbt and adapter versions that compile the SQL, read without importing dbt."""
    from importlib.metadata import version

    return f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}"


def _steps(manifest: dict[str, Any]) -> list[Step] | None:
    """The scenario inputs and models and cpom_trajectory of a built manifest in the order of their lineage, or
    None when a model was not compiled by this build (an incremental run that left it alone)."""
    import graphlib

    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"
             and ("scenario" in n.get("tags", []) or n["name"] == CPOM_MODEL)}
    sorter = graphlib.TopologicalSorter({uid: [p for p in n["depends_on"].get("nodes", []) if p in nodes]
                                         for uid, n in nodes.items()})
    # the same order from every build: the manifest lists its nodes in an order that varies from one parse to the
    # next, and static_order() follows it; here each rank of the lineage is taken sorted by name
    sorter.prepare()
    order = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    steps = []
    for uid in order:
        node = nodes[uid]
        role = "input" if INPUT_TAG in node["tags"] else "cpom" if node["name"] == CPOM_MODEL else "scenario"
        # an input's rows are written in Python: its SQL is not needed (a month added leaves the inputs alone)
        if not node.get("relation_name") or (role != "input" and not node.get("compiled_code")):
            return None
        relation = node["relation_name"].split(".", 1)[1] if node["relation_name"].count(".") == 2 else \
            node["relation_name"]
        steps.append(Step(node["name"], relation, node.get("compiled_code") or "", role))
    return steps


def keep(con, manifest_file: Path, engine: str) -> None:
    """After a run's dbt build succeeded, on its warehouse: the compiled SQL of the scenario models into
    audit.scenario_models. A build that did not compile them all (incremental) leaves the table of the last one;
    a Spark build removes it (its SQL is Spark's)."""
    from pipelines.incremental import project_digest

    if engine != "duckdb":
        con.execute(f"drop table if exists {TABLE}")
        return
    if not Path(manifest_file).exists():
        return
    steps = _steps(json.loads(Path(manifest_file).read_text(encoding="utf-8")))
    if steps is None:
        return
    catalog = con.execute("select current_database()").fetchone()[0]
    con.execute(f"create or replace table {TABLE} (step integer, model varchar, role varchar, relation varchar, "
                "sql varchar, versions varchar, project varchar, catalog varchar)")
    con.executemany(f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [[i, s.model, s.role, s.relation, s.sql, versions(), project_digest(), catalog]
                     for i, s in enumerate(steps, start=1)])


def stored(con) -> tuple[list[Step], str]:
    """The warehouse's stored steps in order, or no steps and why they cannot be used (one sentence)."""
    import duckdb

    from pipelines.incremental import project_digest

    try:
        rows = con.execute(f"select model, relation, sql, role, versions, project, catalog from {TABLE} "
                           "order by step").fetchall()
    except duckdb.CatalogException:
        return [], "the warehouse keeps no compiled scenario models (built by an earlier version)"
    if not rows:
        return [], "the warehouse keeps no compiled scenario models"
    if rows[0][4] != versions():
        return [], f"its scenario models were compiled by {rows[0][4]}, not {versions()}"
    if rows[0][5] != project_digest():
        return [], "the dbt project changed since the warehouse was built"
    catalog = con.execute("select current_database()").fetchone()[0]
    # a renamed file: DuckDB names the catalog after it
    fix = (lambda sql: sql.replace(f'"{rows[0][6]}".', f'"{catalog}".')) if rows[0][6] != catalog else (lambda s: s)
    return [Step(model, relation, fix(sql), role) for model, relation, sql, role, *_ in rows], ""


def input_rows(scenario: dict) -> dict[str, list[dict[str, Any]]]:
    """The rows each scenario input model makes of one scenario of the var `scenarios` (pipelines/scenarios.py
    as_dbt_var), column by column as its SQL does."""
    name = scenario["name"]
    rules = scenario["rules"]
    return {
        "funding_scenarios": [{
            "scenario": name, "file": scenario["file"], "description": scenario["description"],
            "years": ", ".join(str(y) for y in scenario["years"] or []), "sensitivity": scenario["sensitivity"],
            "rules": len(rules), "shifts": len(scenario["shifts"]), "definition": json.dumps(scenario)}],
        "int_funding_rules": [{
            "scenario": name, "rule_no": r["no"], "rule": r["rule"], "kind": r["kind"], "label": r["label"],
            "prestation_code": r["prestation"], "need_code": r["need"], "tariff": r["tariff"],
            "percentile": r["percentile"], "among": r["among"], "has_settings": r["settings"] is not None,
            "sensitivity": scenario["sensitivity"]} for r in rules],
        "int_funding_rule_values": [
            *({"scenario": name, "rule_no": r["no"], "list": "amount", "key_": key, "value_": amount}
              for r in rules for key, amount in r["amounts"].items()),
            *({"scenario": name, "rule_no": r["no"], "list": "setting", "key_": setting, "value_": None}
              for r in rules for setting in r["settings"] or [])],
        "int_funding_scenario_years": [{"scenario": name, "year": y} for y in scenario["years"] or [None]],
        "int_funding_shifts": [{
            "scenario": name, "shift_no": sh["no"], "prestation_code": sh["prestation"],
            "from_setting": sh["from_setting"], "to_setting": sh["to_setting"], "share": sh["share"]}
            for sh in scenario["shifts"]],
    }


def rerun(con, steps: list[Step], scenario: dict, with_cpom: bool) -> None:
    """In one transaction: the scenario's rows of the inputs replaced, then every scenario model (and
    cpom_trajectory when `with_cpom`) rebuilt from its compiled select. Any error rolls back and is raised."""
    rows = input_rows(scenario)
    con.execute("begin transaction")
    try:
        for step in steps:
            if step.role == "input":
                con.execute(f"delete from {step.relation} where scenario = ?", [scenario["name"]])
                for row in rows[step.model]:
                    columns = ", ".join(row)
                    con.execute(f"insert into {step.relation} ({columns}) values "
                                f"({', '.join('?' * len(row))})", list(row.values()))
            elif step.role == "scenario" or with_cpom:
                con.execute(f"delete from {step.relation}")
                con.execute(f"insert into {step.relation} by name select * from (\n{step.sql}\n) as compiled")
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
