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
    too (with the parameters of marts.cpom_definition). Like a run, it works on a copy of the warehouse under the
    run lock and replaces the file only when dbt succeeded. dbt runs in this process on the project as parsed once,
    the models only (pipelines/parsed_dbt.py): no parse, no Dagster. Returns the scenario's rows of
    marts.funding_scenario (finess_et, name, year, baseline_funding, scenario_funding, delta, delta_share)."""
    import shutil

    import duckdb

    from pipelines import parsed_dbt
    from pipelines.warehouse import RunFailed, RunPaths, swap, warehouse_lock

    path, warehouse = Path(path).resolve(), Path(warehouse).resolve()
    scenario = load_file(path)
    if not warehouse.is_file():
        raise RunFailed(f"the warehouse {warehouse} does not exist: build it first with serafin run (or serafin demo)")
    kept, cpom = _held(warehouse)
    dbt_vars: dict = {"scenarios": [s for s in kept if s["name"] != scenario.name] + as_dbt_var([(path, scenario)])}
    select = ["tag:scenario"]
    if cpom and cpom.get("target_scenario") == scenario.name:  # the CPOM's trajectory converges to this scenario
        dbt_vars["cpom"] = cpom
        select.append("cpom_trajectory")
    paths = RunPaths(path.parent, warehouse, warehouse.parent)
    loading = parsed_dbt.Loading(paths.build_warehouse.stem)  # dbt loads while the warehouse is copied
    with warehouse_lock(paths):
        shutil.rmtree(paths.build_dir, ignore_errors=True)
        paths.build_dir.mkdir()
        try:
            shutil.copyfile(warehouse, paths.build_warehouse)
            if not parsed_dbt.run_models(select, dbt_vars, paths.build_warehouse, paths.build_dir / "dbt", verbose,
                                         loading):
                from pipelines.failures import dbt_failure

                raise RunFailed(dbt_failure(paths.build_dir / "dbt") or "dbt failed (run again with -v)")
            swap(paths)
        finally:
            shutil.rmtree(paths.build_dir, ignore_errors=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select finess_et, name, year, baseline_funding, scenario_funding, delta, delta_share "
            "from marts.funding_scenario where scenario = ? order by finess_et, year", [scenario.name]).fetchall()
