"""One run of the pipeline, as `serafin run`, `validate` and `demo` start it: preflight (pipelines/preflight.py), the
warehouse lock, then the build-and-swap (pipelines/warehouse.py) around one Dagster run of the definitions on the
new warehouse (landing → dbt build → data quality → reports), in this process.

The run is recorded in the warehouse's persistent Dagster instance (pipelines/instance.py), which `serafin ui` and
`serafin serve` read: its steps and logs, each asset's materializations, each check's result. A failed run ends with
one line (pipelines/failures.py). `timings` gives the steps' and assets' times of a run from the instance's event log
(benchmarks/run.py prints them).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import failures, instance, prewarm, settings
from pipelines.failures import dbt_crash, dbt_failure, gate_reason  # noqa: F401 (the run layer's failure reasons)
from pipelines.preflight import preflight
from pipelines.warehouse import RunFailed, RunPaths, build_folder, finish_build, keep_dbt_log, start_build, warehouse_lock

VALIDATION_GROUPS = ["landing", "nomenclatures", "staging", "validation", "core", "audit"]


@dataclass
class RunOutcome:
    success: bool
    reason: str = ""
    run_id: str | None = None  # the Dagster run, in the instance kept in `instance_home`
    instance_home: Path | None = None
    marks: dict[str, float] = field(default_factory=dict)  # wall-clock marks: instance_start, instance_end, swap_*


@dataclass(frozen=True)
class Options:
    """What a run does besides the whole build: validation only, some years, dbt's log shown, dbt's tests, the
    report pages and the data-quality checks (`serafin run --no-reports`, `--warehouse-only`)."""

    validate_only: bool = False
    years: tuple[int, ...] = ()
    verbose: bool = False
    data_tests: bool = True
    record: bool = True  # in the warehouse's persistent instance
    pages: bool = True  # False: no report page is built; the reports folder is left as it is
    data_quality: bool = True  # False: neither the data-quality checks nor the pages (donnees.html shows the checks)


def execute(landing: Path, warehouse: Path, reports: Path, *, validate_only: bool = False,
            years: list[int] | None = None, verbose: bool = False, engine: str = "duckdb",
            data_tests: bool = True, record: bool = True, pages: bool = True,
            data_quality: bool = True) -> RunOutcome:
    """The whole run; never raises for a failure a user can act on (the outcome's reason says it). `record` False:
    an ephemeral instance, kept nowhere (benchmarks/run.py measures what the persistent one costs)."""
    paths = RunPaths(Path(landing).resolve(), Path(warehouse).resolve(), Path(reports).resolve(), engine)
    options = Options(validate_only, tuple(years or ()), verbose, data_tests, record, pages, data_quality)
    try:
        preflight(paths)
        with warehouse_lock(paths), build_folder(paths):
            return _build_and_swap(paths, options)
    except RunFailed as exc:
        return RunOutcome(False, str(exc))


def _build_and_swap(paths: RunPaths, options: Options) -> RunOutcome:
    start_build(paths, from_copy=not options.validate_only)
    if not options.validate_only and not options.data_quality:
        _forget_data_quality(paths.build_warehouse)
    outcome = run_job(paths, options)
    if not outcome.success:
        reason = failures.failure_reason(outcome.step_errors, paths.build_warehouse, keep_dbt_log(paths))
        return RunOutcome(False, reason, outcome.run_id, outcome.home, outcome.marks)
    outcome.marks["swap_start"] = time.time()
    finish_build(paths)
    outcome.marks["swap_end"] = time.time()
    return RunOutcome(True, "", outcome.run_id, outcome.home, outcome.marks)


def _forget_data_quality(warehouse: Path) -> None:
    """A run without the data-quality checks: the last run's results (a copy of the last warehouse starts the
    build) go, as they are not those of the new rows."""
    import duckdb

    with duckdb.connect(str(warehouse), config=settings.duckdb_config()) as con:
        con.execute("drop table if exists audit.data_quality")


@dataclass
class _JobOutcome:
    success: bool
    run_id: str
    home: Path | None
    step_errors: list[tuple[str, list[str]]]  # each failed step's key and error lines
    marks: dict[str, float]


def run_job(paths: RunPaths, options: Options) -> _JobOutcome:
    """The Dagster run itself, on the build warehouse, recorded in the warehouse's instance. The processes of the
    steps to come start ahead (pipelines/prewarm.py) and end with the run."""
    with prewarm.owned_by(paths.build_dir) as children:
        # while Dagster starts on one core, dbt and the data-quality suite import their libraries on the other
        children.start_dbt(paths.build_dir)
        if not options.validate_only and options.data_quality:
            children.start_quality()
        return _run_job(paths, options, children)


def _run_job(paths: RunPaths, options: Options, children: prewarm.Prewarmed) -> _JobOutcome:
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.defs.project import prepare_manifest

    settings.quiet_telemetry()
    prepare_manifest()
    children.offer_dbt()  # for the build's serafin-dbt (the parse above ran without it)
    defs = build_definitions(str(paths.landing), str(paths.build_warehouse), str(paths.reports),
                             raw=str(paths.raw), work=str(paths.build_dir), engine=paths.engine)
    selection = asset_selection(options)
    run_config = {
        "ops": {"serafin_dbt": {"config": {"years": list(options.years), "quiet": not options.verbose,
                                           "data_tests": options.data_tests}}},
        # quiet: nothing from Dagster's console log; the run ends with one line (failures.failure_reason)
        "loggers": {"console": {"config": {"log_level": "INFO" if options.verbose else "CRITICAL"}}},
    }
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(selection.resolve(defs.resolve_asset_graph())))
    home = instance.home(paths.warehouse) if options.record else None
    marks = {"instance_start": time.time()}
    with instance.open_instance(home, capture_output=False) if home else dg.DagsterInstance.ephemeral() as dagster:
        if home:
            instance.close_killed_runs(dagster)
        marks["instance_end"] = time.time()
        result = job.execute_in_process(run_config=run_config, instance=dagster, raise_on_error=False,
                                        tags={instance.PID_TAG: str(os.getpid()), "serafin/landing": str(paths.landing)})
        errors = [] if result.success else _step_errors(result)
    return _JobOutcome(result.success, result.run_id, home, errors, marks)


def asset_selection(options: Options):
    """What a run materialises: the ingestion and the validation (validate only); or everything, but the report
    pages when they are left out, and the data-quality checks with the pages when those are (donnees.html shows
    the checks, and the index links it)."""
    import dagster as dg

    from pipelines.defs.quality import ASSET as DATA_QUALITY

    if options.validate_only:
        return dg.AssetSelection.groups(*VALIDATION_GROUPS)
    selection = dg.AssetSelection.all()
    if not options.pages or not options.data_quality:
        selection -= dg.AssetSelection.groups("reports")
    if not options.data_quality:
        selection -= dg.AssetSelection.assets(DATA_QUALITY)
    return selection


def _step_errors(result) -> list[tuple[str, list[str]]]:
    """Each failed step's key and its error's lines (the user code's error, not Dagster's wrapper)."""
    out = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "DagsterExecutionStepExecutionError" in error.cls_name:
                error = error.cause
            out.append((event.step_key, error.message.strip().splitlines()))
    return out


def timings(outcome: RunOutcome) -> instance.Timings:
    """The steps' and assets' times of a run, from the instance's event log (benchmarks/run.py)."""
    if outcome.run_id is None or outcome.instance_home is None:
        return instance.Timings()
    return instance.timings(outcome.instance_home, outcome.run_id)


def asset_groups() -> dict[str, str]:
    """Each asset's group ("schema/name" → group), as the definitions declare them."""
    from pipelines.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    return {"/".join(key.path): graph.get(key).group_name for key in graph.get_all_asset_keys()}
