"""The `serafin` command: demo, generate, run, validate, scenario, docs, ui, serve."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

from pipelines import settings


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    handler = RichHandler(show_time=False, show_path=False, markup=False)
    logging.basicConfig(level=logging.WARNING, handlers=[handler], format="%(message)s", force=True)
    logging.getLogger("serafin").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("dagster").setLevel(logging.INFO if verbose else logging.WARNING)
    # dagster-dbt logs each dbt command it starts through Dagster's own logger
    logging.getLogger("dagster.builtin").setLevel(logging.INFO if verbose else logging.WARNING)


def _years(text: str | None) -> list[int]:
    if not text:
        return []
    years: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            years.extend(range(low, high + 1))
        elif part.strip():
            years.append(int(part))
    return years


def execute(landing: Path, warehouse: Path, reports: Path, *, validate_only: bool = False,
            years: list[int] | None = None, verbose: bool = False, engine: str = "duckdb", pages: bool = True,
            data_quality: bool = True) -> tuple[bool, str]:
    """One atomic run (pipelines/run.py): (success, one-line reason). `pages` False: no report page
    (`--no-reports`); `data_quality` False: neither the data-quality checks nor the pages (`--warehouse-only`)."""
    from pipelines.run import execute as run

    outcome = run(landing, warehouse, reports, validate_only=validate_only, years=years, verbose=verbose,
                  engine=engine, pages=pages, data_quality=data_quality)
    return outcome.success, outcome.reason


def print_build(warehouse: Path) -> None:
    """Whether dbt rebuilt everything or only what new activity files touched (README "Incremental runs")."""
    import duckdb

    from pipelines import incremental

    with duckdb.connect(str(warehouse), read_only=True) as con:
        build = incremental.last_build(con)
    if build is not None:
        print(f"dbt build: {'incremental' if build.incremental else 'full'} ({build.reason})")


def print_counts(warehouse: Path) -> None:
    import duckdb
    from rich.console import Console
    from rich.table import Table

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select source_table, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected), "
            "sum(case when status = 'rejected' then 1 else 0 end) from audit.ingestion_log "
            "group by source_table order by source_table").fetchall()
    table = Table(title="Ingestion: rows loaded and rejected per table")
    for col in ("table", "files", "read", "loaded", "rejected", "files quarantined"):
        table.add_column(col, justify="right" if col != "table" else "left")
    for row in rows:
        table.add_row(*(str(v) for v in row))
    Console(width=150).print(table)


def print_cost_summary(warehouse: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from reports.cost_report import cost_summary

    table = Table(title="Costs per ESMS and year (cost-method v1), reconciled with the ledger")
    for col in ("FINESS", "ESMS", "cat.", "year", "charges in scope", "to persons", "unallocated", "persons",
                "cost/place", "sector range"):
        table.add_column(col, justify="left" if col in ("FINESS", "ESMS", "cat.") else "right")
    for s in cost_summary(warehouse):
        band = (f"{s['cost_per_place_min'] / 1000:.0f}–{s['cost_per_place_max'] / 1000:.0f}k"
                if s["cost_per_place_min"] else "")
        per_place = s["cost_per_place"]
        flag = ""
        if per_place is not None and s["cost_per_place_min"] and not (
                s["cost_per_place_min"] <= per_place <= s["cost_per_place_max"]):
            flag = " !"
        table.add_row(str(s["finess_et"]), str(s["name"] or "")[:28], str(s["category"] or ""), str(s["year"]),
                      f"{s['charges_in_scope']:,.0f}", f"{s['allocated_to_persons']:,.0f}",
                      f"{s['unallocated']:,.0f}", str(s["persons"]),
                      (f"{per_place:,.0f}{flag}" if per_place is not None else ""), band)
    Console(width=150).print(table)


def cmd_run(args) -> int:
    steps = ("ingestion, dbt build" if args.warehouse_only else "ingestion, dbt build, data quality"
             if args.no_reports else "ingestion, dbt build, reports")
    print(f"Running the pipeline on {Path(args.landing).resolve()} ({steps}; -v shows each step) …",
          file=sys.stderr, flush=True)
    ok, reason = execute(Path(args.landing).resolve(), Path(args.warehouse).resolve(),
                         Path(args.reports).resolve(), years=_years(args.years), verbose=args.verbose,
                         engine=args.engine, pages=not args.no_reports, data_quality=not args.warehouse_only)
    if not ok:
        print(f"serafin run failed: {reason}", file=sys.stderr)
        return 1
    print_build(Path(args.warehouse))
    print_counts(Path(args.warehouse))
    print_cost_summary(Path(args.warehouse))
    print(f"Runs, steps, checks: serafin ui --warehouse {Path(args.warehouse).resolve()} (Dagster instance "
          f"{instance_home(Path(args.warehouse))})")
    return 0


def instance_home(warehouse: Path) -> Path:
    from pipelines.instance import home

    return home(warehouse)


def cmd_validate(args) -> int:
    with tempfile.TemporaryDirectory(prefix="serafin-validate-") as tmp:
        warehouse = Path(args.warehouse).resolve() if args.warehouse else Path(tmp) / "validate.duckdb"
        ok, reason = execute(Path(args.landing).resolve(), warehouse, Path(tmp) / "reports",
                             validate_only=True, verbose=args.verbose)
        if not ok:
            print(f"serafin validate failed: {reason}", file=sys.stderr)
            return 1
        print_counts(warehouse)
    return 0


def cmd_generate(args) -> int:
    from pipelines.demo.generate import GeneratorConfig, generate

    years = _years(args.years)
    config = GeneratorConfig(persons=args.persons, years=years, seed=args.seed,
                             activity_rows=int(float(args.activity_rows)) if args.activity_rows else None,
                             esms=args.esms, fhir=args.fhir)
    counts = generate(Path(args.out), config)
    print(f"landing folder written to {Path(args.out).resolve()}: " +
          ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def cmd_demo(args) -> int:
    from pipelines.demo.generate import GeneratorConfig, generate

    out = Path(args.out).resolve()
    landing, warehouse, reports = out / "landing", out / "warehouse.duckdb", out / "reports"
    print(f"Generating demo landing data in {landing} …")
    # the demo shows both input paths: its last month of activity comes as TDDUI FHIR files (fhir/)
    generate(landing, GeneratorConfig(persons=args.persons, years=_years(args.years), seed=args.seed, fhir=True))
    print("Running the pipeline (Dagster + dbt on DuckDB) …")
    ok, reason = execute(landing, warehouse, reports, verbose=args.verbose)
    if not ok:
        print(f"serafin demo failed: {reason}", file=sys.stderr)
        return 1
    print_counts(warehouse)
    print_cost_summary(warehouse)
    print(f"\nLanding data : {landing}\nWarehouse    : {warehouse}  (DuckDB: core.*, marts.*, audit.*)\n"
          f"Reports      : {reports / 'index.html'}  (pilotage.html, qualite.html, couts.html, territoire.html, donnees.html, "
          f"cpom.html, cpom_annexe.xlsx; restreint/ for the quality team)\n"
          f"Rejected rows: select * from audit.rejected_rows  (file, line, column, value, reason)\n"
          f"Scenarios    : select * from marts.funding_scenario  (two demo scenarios; re-run one with "
          f"serafin scenario {landing / 'scenarios' / '01_tarif_horaire_median.yaml'} --warehouse {warehouse})\n"
          f"CPOM         : select * from marts.cpom_trajectory  (cpom.yaml in the landing folder)\n"
          f"Territory    : select * from marts.territory_offer, territory_demand, territory_coverage")
    return 0


def cmd_scenario(args) -> int:
    """Re-run one funding scenario on a built warehouse, without re-ingesting, and print its results."""
    import time

    from rich.console import Console
    from rich.table import Table

    from pipelines import scenario_rerun, scenarios
    from pipelines.warehouse import RunFailed

    started = time.perf_counter()
    print(f"Re-running the scenario of {Path(args.file).resolve()} on {Path(args.warehouse).resolve()} (the scenario "
          "models only; nothing is read again) …", file=sys.stderr, flush=True)
    try:
        rows = scenario_rerun.rerun(Path(args.file), Path(args.warehouse), verbose=args.verbose)
    except (scenarios.ScenarioProblem, RunFailed) as exc:
        print(f"serafin scenario failed: {exc}", file=sys.stderr)
        return 1
    name = scenarios.load_file(Path(args.file)).name
    table = Table(title=f"Scénario « {name} » : financement par ESMS et année, comparé à la dotation actuelle")
    for col in ("FINESS", "ESMS", "année", "dotation actuelle", "scénario", "écart", "écart %"):
        table.add_column(col, justify="left" if col in ("FINESS", "ESMS") else "right")
    for finess, esms, year, baseline, funding, delta, share in rows:
        table.add_row(finess, str(esms or "")[:30], str(year), "" if baseline is None else f"{baseline:,.0f}",
                      f"{funding:,.0f}", "" if delta is None else f"{delta:+,.0f}",
                      "" if share is None else f"{share:+.1%}")
    Console(width=150).print(table)
    print(f"{len(rows)} rows in marts.funding_scenario, marts.funding_scenario_detail and marts.funding_sensitivity "
          f"({time.perf_counter() - started:.1f} s)")
    _record_in_background(Path(args.warehouse), Path(args.file), name)
    return 0


def _record_in_background(warehouse: Path, file: Path, name: str) -> None:
    """record_scenario in a process of its own, left running when the command ends: Dagster's import would double
    the time of a re-run, and the figures are already in the warehouse."""
    import subprocess

    code = "import sys; from pathlib import Path; from pipelines.cli import record_scenario; " \
           "record_scenario(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])"
    subprocess.Popen([sys.executable, "-c", code, str(warehouse.resolve()), str(file.resolve()), name],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)


def record_scenario(warehouse: Path, file: Path, name: str) -> None:
    """The scenario models a re-run rebuilt (dbt tag `scenario`), recorded in the warehouse's Dagster instance as
    materializations outside any run: the UI shows them in each model's history with the scenario's name. Run
    after the command, in a process of its own (`_record_in_background`)."""
    import dagster as dg

    from pipelines import dbt_build, instance
    from pipelines.defs.dbt import SerafinTranslator

    translator = SerafinTranslator()
    try:
        keys = [translator.get_asset_key(node) for node in dbt_build.manifest()["nodes"].values()
                if node["resource_type"] == "model" and "scenario" in node.get("tags", [])]
        with instance.open_instance(instance.home(warehouse)) as dagster:
            for key in keys:
                dagster.report_runless_asset_event(dg.AssetMaterialization(
                    asset_key=key, description="serafin scenario: the scenario models rebuilt with this scenario file",
                    metadata={"scenario": name, "file": dg.MetadataValue.path(str(file.resolve()))}))
    except Exception as exc:  # the warehouse has the scenario: only its record in the UI is missing
        print(f"serafin scenario: not recorded in the Dagster instance ({_sentence(exc)})", file=sys.stderr)


def cmd_docs(args) -> int:
    """dbt's documentation site (models, columns, tests, lineage), built offline into one HTML file."""
    import subprocess

    from pipelines import dbt_build

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings.quiet_telemetry()
    warehouse = Path(args.warehouse).resolve() if args.warehouse else None
    arguments = ["docs", "generate", "--static"]
    if not (warehouse and warehouse.exists()):  # models and docs only, on a throw-away DuckDB file in the output folder
        warehouse = out / "docs.duckdb"
        arguments.append("--empty-catalog")
    # else the catalog (column types, row counts) is read from the warehouse. The warehouse is given as a run gives
    # it (dbt_build.environment), so that dbt reuses the parse of the runs before instead of parsing the project
    dbt_build.reuse_parse(str(warehouse), arguments, out)
    command = [settings.dbt_executable(), *arguments, "--project-dir", str(settings.DBT_PROJECT_DIR),
               "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(out), "--log-path", str(out),
               "--quiet"]
    env = dict(os.environ)
    for name, value in dbt_build.environment({"warehouse": str(warehouse)}).items():
        if value is None:
            env.pop(name, None)  # a run value no docs need
        else:
            env[name] = value
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    (out / "docs.duckdb").unlink(missing_ok=True)
    if done.returncode != 0:
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        print(f"serafin docs failed: {lines[-1] if lines else 'dbt docs generate failed'} (details in "
              f"{out / 'dbt.log'})", file=sys.stderr)
        return 1
    print(f"dbt documentation: {out / 'static_index.html'} (open it in a browser; no server needed)")
    return 0


def cmd_ui(args) -> int:
    """The Dagster UI and its daemon on the warehouse's instance (pipelines/serve.py); Ctrl-C or SIGTERM stops both."""
    from pipelines.serve import Served, serve

    return serve(Served(landing=Path(args.landing).resolve() if args.landing else None,
                        warehouse=Path(args.warehouse).resolve() if args.warehouse else settings.warehouse_path(),
                        reports=Path(args.reports).resolve() if args.reports else None,
                        host=args.host, port=args.port))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="serafin", description="SERAFIN-PH analytics and cost pipeline")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the pipeline's progress log")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="generate demo data, run the whole pipeline, print where to look")
    p.add_argument("--out", default="serafin-demo")
    p.add_argument("--persons", type=int, default=600)
    p.add_argument("--years", default="2023-2025")
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("generate", help="write a synthetic landing folder")
    p.add_argument("--out", required=True)
    p.add_argument("--persons", type=int, default=600)
    p.add_argument("--years", default="2023-2025")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--esms", type=int, default=6, help="number of ESMS (6 by default; 20 for a large gestionnaire)")
    p.add_argument("--activity-rows", default=None, help="target number of activity rows (e.g. 5e6)")
    p.add_argument("--fhir", action="store_true",
                   help="write the last month of activity as TDDUI FHIR files (fhir/: a Bundle and NDJSON)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("run", help="the whole pipeline, orchestrated by Dagster in-process")
    p.add_argument("--landing", required=True)
    p.add_argument("--warehouse", default=os.environ.get(settings.WAREHOUSE_ENV, "warehouse.duckdb"))
    p.add_argument("--reports", default="reports/output")
    p.add_argument("--years", default=None, help="e.g. 2024-2025 (all years by default)")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="who builds the dbt project: DuckDB (default) or a local Apache Spark "
                        "(pip install '.[spark]', Java 17); the warehouse file is the same either way")
    p.add_argument("--no-reports", action="store_true",
                   help="build the warehouse and run its data-quality checks, without the report pages (the reports "
                        "folder is left as it is)")
    p.add_argument("--warehouse-only", action="store_true",
                   help="ingestion and the dbt build only (dbt's tests and gates included): neither the data-quality "
                        "checks nor the report pages")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="ingestion and validation only; prints loaded/rejected counts")
    p.add_argument("--landing", required=True)
    p.add_argument("--warehouse", default=None, help="keep the warehouse here (a temporary one by default)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("scenario", help="re-run one funding scenario file on a built warehouse (no re-ingestion)")
    p.add_argument("file", help="a scenario YAML file (format: docs scenarios.md)")
    p.add_argument("--warehouse", default=os.environ.get(settings.WAREHOUSE_ENV, "warehouse.duckdb"))
    p.set_defaults(func=cmd_scenario)

    p = sub.add_parser("docs", help="dbt's documentation site of the models, offline, in one HTML file")
    p.add_argument("--out", default="serafin-docs", help="output folder (static_index.html is written there)")
    p.add_argument("--warehouse", default=None, help="a built warehouse, for column types and row counts")
    p.set_defaults(func=cmd_docs)

    for name, text, host in (
            ("ui", "the Dagster UI on this warehouse's runs (webserver and daemon, on this machine only)", "127.0.0.1"),
            ("serve", "the Dagster webserver and daemon for a server install (schedules, sensors; docs/operations.md)",
             "127.0.0.1")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--landing", default=os.environ.get(settings.LANDING_ENV))
        p.add_argument("--warehouse", default=None)
        p.add_argument("--reports", default=os.environ.get(settings.REPORTS_ENV))
        p.add_argument("--host", default=host, help=f"the address the UI listens on ({host} by default)")
        p.add_argument("--port", type=int, default=3000)
        p.set_defaults(func=cmd_ui)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"serafin {args.command} interrupted: the last good warehouse is unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # a last resort: one sentence, the details with -v
        if args.verbose:
            raise
        print(f"serafin {args.command} failed: {_sentence(exc)} (run again with -v for the details)", file=sys.stderr)
        return 1


def _sentence(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
