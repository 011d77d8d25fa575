"""`serafin scenario FILE`: one funding scenario file (pipelines/scenarios.py checks it) re-run on a built warehouse
in seconds, without re-ingesting anything: a command, above the scenario files' model and the warehouse primitives."""

from __future__ import annotations

from pathlib import Path

from pipelines.scenarios import as_dbt_var, load_file


def _held(warehouse: Path) -> tuple[list[dict], dict | None]:
    """The scenarios a built warehouse holds (marts.funding_scenarios) and its CPOM parameters (marts.cpom_definition;
    None without cpom.yaml or in a warehouse built before it was kept)."""
    import json

    import duckdb

    from pipelines.warehouse import RunFailed

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            kept = [json.loads(r[0]) for r in con.execute(
                "select definition from marts.funding_scenarios order by file, scenario").fetchall()]
            try:
                cpom = con.execute("select definition from marts.cpom_definition").fetchall()
            except duckdb.CatalogException:
                cpom = []
    except duckdb.Error as exc:
        raise RunFailed(f"the warehouse {warehouse} has no funding scenarios table (marts.funding_scenarios): "
                        f"build it with this version of serafin run first ({str(exc).splitlines()[0]})") from None
    return kept, (json.loads(cpom[0][0]) if cpom else None)


def rerun(path: Path, warehouse: Path, verbose: bool = False) -> list[tuple]:
    """`serafin scenario FILE`: check FILE, then rebuild the scenario models (dbt tag `scenario`) of a built
    warehouse with the scenarios it already holds (marts.funding_scenarios) plus this one (replacing a scenario
    of the same name), without re-ingesting anything; when FILE is the CPOM's target scenario, the CPOM trajectory
    too (with the parameters of marts.cpom_definition), under the run lock. The models' SQL as the warehouse's
    build compiled it (pipelines/scenario_sql.py) runs in one DuckDB transaction, rolled back on any error: no dbt,
    no copy. A warehouse without that SQL, or built by another version of the project, is rebuilt with dbt
    (`_with_dbt`) after a one-line notice. Returns the scenario's rows of marts.funding_scenario (finess_et, name,
    year, baseline_funding, scenario_funding, delta, delta_share)."""
    import duckdb

    from pipelines import scenario_sql, settings
    from pipelines.warehouse import RunFailed, RunPaths, warehouse_lock

    path, warehouse = Path(path).resolve(), Path(warehouse).resolve()
    scenario = load_file(path)
    if not warehouse.is_file():
        raise RunFailed(f"the warehouse {warehouse} does not exist: build it first with serafin run (or serafin demo)")
    paths = RunPaths(path.parent, warehouse, warehouse.parent)
    definition = as_dbt_var([(path, scenario)])[0]
    with warehouse_lock(paths):
        kept, cpom = _held(warehouse)
        with_cpom = bool(cpom and cpom.get("target_scenario") == scenario.name)
        with duckdb.connect(str(warehouse), config=settings.duckdb_config()) as con:
            steps, why = scenario_sql.stored(con)
            if steps:
                try:
                    scenario_sql.rerun(con, steps, definition, with_cpom)
                except duckdb.Error as exc:
                    raise RunFailed(f"the scenario models failed on {warehouse}, which is left as it was: "
                                    f"{str(exc).splitlines()[0]}") from None
        if not steps:
            import sys

            print(f"serafin scenario: {why}: the scenario models are built with dbt (slower; serafin run makes "
                  "the next ones fast)", file=sys.stderr, flush=True)
            dbt_vars: dict = {"scenarios": [s for s in kept if s["name"] != scenario.name] + [definition]}
            if with_cpom:  # the CPOM's trajectory converges to this scenario
                dbt_vars["cpom"] = cpom
            _with_dbt(paths, dbt_vars, verbose)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select finess_et, name, year, baseline_funding, scenario_funding, delta, delta_share "
            "from marts.funding_scenario where scenario = ? order by finess_et, year", [scenario.name]).fetchall()


def _with_dbt(paths, dbt_vars: dict, verbose: bool) -> None:
    """The scenario models (and cpom_trajectory with the var cpom) built by dbt in this process on the project as
    parsed once (pipelines/parsed_dbt.py), on a copy of the warehouse swapped in when dbt succeeded; the caller
    holds the run lock."""
    import shutil

    from pipelines import parsed_dbt
    from pipelines.warehouse import RunFailed, fresh_folder, swap

    select = ["tag:scenario", *(["cpom_trajectory"] if "cpom" in dbt_vars else [])]
    loading = parsed_dbt.Loading(paths.build_warehouse.stem)  # dbt loads while the warehouse is copied
    fresh_folder(paths.build_dir)
    try:
        shutil.copyfile(paths.warehouse, paths.build_warehouse)
        if not parsed_dbt.run_models(select, dbt_vars, paths.build_warehouse, paths.build_dir / "dbt", verbose,
                                     loading):
            from pipelines.failures import dbt_failure

            raise RunFailed(dbt_failure(paths.build_dir / "dbt") or "dbt failed (run again with -v)")
        swap(paths)
    finally:
        shutil.rmtree(paths.build_dir, ignore_errors=True)
