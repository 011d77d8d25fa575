"""The warehouse's persistent Dagster instance (issue 40): the worked example run twice (the session's run,
then `serafin run` through the CLI on a copy of its folder), then the instance read as the UI reads it: two
runs, each landing table's files with the rows audit.ingestion_log counts, each data-quality check's latest
result as audit.data_quality holds it, each mart's row count; the schedule and the sensor declared and off.
That nothing personal is in an instance's storage is checked on the demo run's, beside the privacy scan
(tests/e2e/test_data_quality.py)."""

from __future__ import annotations

import shutil
import time

import dagster as dg
import pytest

from tests.conftest import Warehouse


@pytest.fixture(scope="module")
def twice(worked_example, tmp_path_factory):
    """The worked example run twice: the session's run of it (its landing folder, warehouse, row files and
    instance copied to a folder of their own, as a backup put back would be), then `serafin run` there, which finds
    every file unchanged and records into the copied instance."""
    from pipelines.cli import main

    work = tmp_path_factory.mktemp("instance")
    first = worked_example.path.parent
    shutil.copytree(first / "landing", work / "landing")
    shutil.copyfile(worked_example.path, work / "warehouse.duckdb")
    for folder in ("warehouse.dagster", "warehouse.raw"):
        shutil.copytree(first / folder, work / folder)
    assert main(["run", "--landing", str(work / "landing"), "--warehouse", str(work / "warehouse.duckdb"),
                 "--reports", str(work / "reports")]) == 0
    return work


@pytest.fixture(scope="module")
def stored(twice):
    """The instance beside the warehouse (warehouse.duckdb → warehouse.dagster/), opened as the UI opens it."""
    assert (twice / "warehouse.dagster" / "dagster.yaml").exists()
    with dg.DagsterInstance.from_config(str(twice / "warehouse.dagster")) as instance:
        yield instance


def test_both_runs_are_recorded(stored):
    runs = stored.get_runs()
    assert len(runs) == 2
    assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
    assert stored.get_run_stats(runs[0].run_id).steps_succeeded >= 4  # landing, dbt, data quality, reports


def _table(metadata) -> dict[str, dict]:
    return {r.data["file"]: r.data for r in metadata["files"].records}


def test_landing_files_carry_the_counts_of_the_ingestion_log(twice, stored):
    log = Warehouse(twice / "warehouse.duckdb").rows(
        "select source_table, file, status, rows_read, rows_loaded, rows_rejected from audit.ingestion_log")
    assert len(log) == 6
    last_run = stored.get_runs()[0].run_id
    for table, file, status, read, loaded, rejected in log:
        key = dg.AssetKey(["raw", table])
        materialization = stored.get_latest_materialization_event(key)
        assert materialization.run_id == last_run
        assert _table(materialization.asset_materialization.metadata)[file] == {
            "file": file, "status": status, "rows_read": read}
        observation = stored.fetch_observations(key, limit=1).records[0]
        assert observation.run_id == last_run
        assert _table(observation.asset_observation.metadata)[file] == {
            "file": file, "status": status, "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected}
    # the worked example's activity file: 9 events read, 9 loaded (cost-method worked example, step 1)
    activity = stored.fetch_observations(dg.AssetKey(["raw", "activity"]), limit=1).records[0]
    assert activity.asset_observation.metadata["rows_loaded"].value == 9


def test_each_checks_latest_result_is_the_data_quality_table(twice, stored):
    rows = Warehouse(twice / "warehouse.duckdb").rows("select check_id, success, severity, unexpected_count "
                                              "from audit.data_quality")
    assert len(rows) >= 17
    for check_id, success, severity, failing in rows:
        key = dg.AssetCheckKey(dg.AssetKey(["audit", "data_quality"]), check_id)
        history = stored.event_log_storage.get_asset_check_execution_history(key, limit=5)
        assert len(history) == 2, check_id  # one result per run
        evaluation = history[0].event.dagster_event.event_specific_data
        assert (evaluation.passed, evaluation.severity.value.lower()) == (success, severity), check_id
        assert evaluation.metadata["failing_rows"].value == failing


def test_marts_carry_their_row_counts(twice, stored):
    warehouse = Warehouse(twice / "warehouse.duckdb")
    for name in ("cost_reconciliation", "cost_per_prestation", "person_cost"):
        observation = stored.fetch_observations(dg.AssetKey(["marts", name]), limit=1).records[0]
        assert observation.asset_observation.metadata["dagster/row_count"].value == warehouse.scalar(
            f"select count(*) from marts.{name}")
    # one ESMS-year in the worked example's reconciliation
    cost = stored.fetch_observations(dg.AssetKey(["marts", "cost_reconciliation"]), limit=1).records[0]
    assert cost.asset_observation.metadata["dagster/row_count"].value == 1


def test_report_pages_say_what_they_wrote(twice, stored):
    event = stored.get_latest_materialization_event(dg.AssetKey(["reports", "cost_report"]))
    metadata = event.asset_materialization.metadata
    assert metadata["path"].value == str(twice / "reports" / "couts.html")
    assert metadata["bytes"].value == (twice / "reports" / "couts.html").stat().st_size


def test_the_step_timings_come_from_the_instance(twice, stored):
    from pipelines.instance import timings

    run = stored.get_runs()[-1]  # the first run: a full build
    measured = timings(twice / "warehouse.dagster", run.run_id)
    assert {"landing_files", "serafin_dbt", "audit__data_quality", "reports"} <= set(measured.steps)
    start, end = measured.steps["serafin_dbt"]
    assert end > start > measured.steps["landing_files"][0]
    built = [m for m in measured.materializations if m[1] == "serafin_dbt"]
    assert any(m[0] == "marts/cost_reconciliation" and m[3] is not None for m in built)


def test_the_schedule_and_the_sensor_are_declared_and_off():
    from pipelines.definitions import build_definitions
    from pipelines.defs.project import prepare_manifest

    prepare_manifest()
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("monthly_refresh")
    sensor = defs.resolve_sensor_def("landing_folder")
    assert schedule.cron_schedule == "0 6 2 * *" and schedule.execution_timezone == "Europe/Paris"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert schedule.job_name == sensor.job_name == "refresh_warehouse"


def test_the_instance_settings_keep_it_offline(twice):
    import yaml

    settings = yaml.safe_load((twice / "warehouse.dagster" / "dagster.yaml").read_text(encoding="utf-8"))
    assert settings["telemetry"] == {"enabled": False} and settings["nux"] == {"enabled": False}
    with dg.DagsterInstance.from_config(str(twice / "warehouse.dagster")) as instance:
        assert not instance.telemetry_enabled and not instance.nux_enabled


def test_a_scenario_rerun_is_recorded_in_the_instance(twice, capsys):
    """`serafin scenario FILE` rebuilds the scenario models without a Dagster run: the instance records each of
    them as materialized with the scenario's name."""
    from pipelines.cli import main

    scenario = twice / "s9.yaml"
    scenario.write_text("name: s9\nrules:\n  - kind: per_place\n    amounts: {IME: 2000}\n", encoding="utf-8")
    assert main(["scenario", str(scenario), "--warehouse", str(twice / "warehouse.duckdb")]) == 0
    assert "Scénario « s9 »" in capsys.readouterr().out
    # recorded by a process of its own, after the command
    deadline = time.monotonic() + 120
    while True:
        with dg.DagsterInstance.from_config(str(twice / "warehouse.dagster")) as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "funding_scenario"]))
            if (event is not None and event.run_id == "") or time.monotonic() > deadline:
                break
        time.sleep(0.5)
    with dg.DagsterInstance.from_config(str(twice / "warehouse.dagster")) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "funding_scenario"]))
        assert event.run_id == "" and event.asset_materialization.metadata["scenario"].value == "s9"
        assert len(instance.get_runs()) == 2  # no run: the re-run is not one
