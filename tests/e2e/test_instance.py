"""The warehouse's persistent Dagster instance (issue 40): `serafin run` twice through the CLI on the worked example,
then the instance read as the UI reads it: two runs, each landing table's files with the rows audit.ingestion_log
counts, each data-quality check's latest result as audit.data_quality holds it, each mart's row count; the
schedule and the sensor declared and off; nothing personal in the instance's storage (the demo run's)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import time

import dagster as dg
import pytest

from tests.conftest import WORKED_EXAMPLE, Warehouse
from tests.privacy import Secrets


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """The worked example run twice by `serafin run` (the second run finds every file unchanged)."""
    from pipelines.cli import main

    work = tmp_path_factory.mktemp("instance")
    shutil.copytree(WORKED_EXAMPLE, work / "landing")
    argv = ["run", "--landing", str(work / "landing"), "--warehouse", str(work / "w.duckdb"), "--reports",
            str(work / "reports")]
    assert main(argv) == 0
    assert main(argv) == 0
    return work


@pytest.fixture(scope="module")
def stored(twice):
    """The instance beside the warehouse (w.duckdb → w.dagster/), opened as the UI opens it."""
    assert (twice / "w.dagster" / "dagster.yaml").exists()
    with dg.DagsterInstance.from_config(str(twice / "w.dagster")) as instance:
        yield instance


def test_both_runs_are_recorded(stored):
    runs = stored.get_runs()
    assert len(runs) == 2
    assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
    assert stored.get_run_stats(runs[0].run_id).steps_succeeded >= 4  # landing, dbt, data quality, reports


def _table(metadata) -> dict[str, dict]:
    return {r.data["file"]: r.data for r in metadata["files"].records}


def test_landing_files_carry_the_counts_of_the_ingestion_log(twice, stored):
    log = Warehouse(twice / "w.duckdb").rows(
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
    rows = Warehouse(twice / "w.duckdb").rows("select check_id, success, severity, unexpected_count "
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
    warehouse = Warehouse(twice / "w.duckdb")
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
    measured = timings(twice / "w.dagster", run.run_id)
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

    settings = yaml.safe_load((twice / "w.dagster" / "dagster.yaml").read_text(encoding="utf-8"))
    assert settings["telemetry"] == {"enabled": False} and settings["nux"] == {"enabled": False}
    with dg.DagsterInstance.from_config(str(twice / "w.dagster")) as instance:
        assert not instance.telemetry_enabled and not instance.nux_enabled


def _stored_texts(folder) -> dict[str, str]:
    """Every text the instance keeps: each SQLite database's values (JSON unescaped, so that a name with accents is
    found as written) and every other file (compute logs)."""
    texts = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix != ".db":
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
            continue
        values = []
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            for (table,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
                for row in con.execute(f'select * from "{table}"'):
                    for value in row:
                        if isinstance(value, bytes):
                            value = value.decode("utf-8", "replace")
                        if isinstance(value, str) and value[:1] in "{[":
                            try:
                                value = json.dumps(json.loads(value), ensure_ascii=False)
                            except ValueError:
                                pass
                        values.append(str(value))
        texts[str(path)] = "\n".join(values)
    return texts


def test_the_instance_holds_no_key_no_person_id_no_name(demo):
    """The demo run's instance (its persons file has names; its event log every step, materialization and check):
    no pseudonymisation key, no clear person id, no name."""
    work = demo.path.parent
    folder = work / "warehouse.dagster"
    with (work / "landing" / "persons.csv").open(encoding="cp1252") as handle:
        persons = list(csv.reader(handle, delimiter=";"))[1:]
    secrets = {value for p in persons for value in p[:3]}  # id, last name, first name
    for entry in json.loads((work / "landing" / "fhir" / "referentiel.json").read_text(encoding="utf-8"))["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":  # identifiers (INS among them) and names
            secrets |= {i["value"] for i in resource["identifier"]}
            secrets |= {n.get("family") for n in resource.get("name", [])}
            secrets |= {g for n in resource.get("name", []) for g in n.get("given", [])}
    secrets = {s for s in secrets if s and len(s) >= 4}
    assert len(secrets) > 500
    texts = _stored_texts(folder)
    assert any("runs.db" in where for where in texts) and sum(map(len, texts.values())) > 100_000
    assert "marts/cost_reconciliation" in "\n".join(texts.values())  # the event log is read
    names = Secrets(secrets)
    key = os.environ["SERAFIN_PSEUDONYM_KEY"]
    for where, text in texts.items():
        assert key not in text, where
        found = names.first(text)
        assert found is None, (where, found)


def test_a_scenario_rerun_is_recorded_in_the_instance(twice, capsys):
    """`serafin scenario FILE` rebuilds the scenario models without a Dagster run: the instance records each of
    them as materialized with the scenario's name."""
    from pipelines.cli import main

    scenario = twice / "s9.yaml"
    scenario.write_text("name: s9\nrules:\n  - kind: per_place\n    amounts: {IME: 2000}\n", encoding="utf-8")
    assert main(["scenario", str(scenario), "--warehouse", str(twice / "w.duckdb")]) == 0
    assert "Scénario « s9 »" in capsys.readouterr().out
    # recorded by a process of its own, after the command
    deadline = time.monotonic() + 120
    while True:
        with dg.DagsterInstance.from_config(str(twice / "w.dagster")) as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "funding_scenario"]))
            if (event is not None and event.run_id == "") or time.monotonic() > deadline:
                break
        time.sleep(0.5)
    with dg.DagsterInstance.from_config(str(twice / "w.dagster")) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "funding_scenario"]))
        assert event.run_id == "" and event.asset_materialization.metadata["scenario"].value == "s9"
        assert len(instance.get_runs()) == 2  # no run: the re-run is not one
