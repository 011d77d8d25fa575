"""The warehouse instance's event log storage (pipelines/event_log.py) records a run as Dagster's own SQLite storage
does: the same events in the run's database, the same copies, asset rows and check rows in the index, the same
answers to the UI's queries; and it asks the database about its schema once per process, not once per event."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from pipelines import instance
from pipelines.event_log import SerafinEventLogStorage


@dg.asset(group_name="landing", metadata={"source": "activity"})
def activity(context) -> dg.MaterializeResult:
    context.log.info("read 3 files")  # a log line: in the run's database only
    return dg.MaterializeResult(metadata={"rows_read": 120, "rows_rejected": 2})


@dg.asset(deps=[activity], group_name="core")
def stays() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 40})


@dg.asset_check(asset=activity)
def activity_has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"unexpected": 0})


@dg.asset_check(asset=stays)
def stays_within_period() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"unexpected": 3})


def _run_twice(dagster: dg.DagsterInstance) -> None:
    job = dg.define_asset_job("serafin").resolve(asset_graph=dg.Definitions(
        assets=[activity, stays], asset_checks=[activity_has_rows, stays_within_period]).resolve_asset_graph())
    for _ in range(2):
        assert job.execute_in_process(instance=dagster, raise_on_error=False).success


def _index(folder: Path) -> dict[str, list]:
    """What the index database holds, run ids and storage ids aside (they differ between the two instances)."""
    with sqlite3.connect(folder / "history" / "runs" / "index.db") as con:
        return {
            "events": con.execute("select dagster_event_type, step_key, asset_key, count(*) from event_logs "
                                  "group by 1, 2, 3 order by 1, 2, 3").fetchall(),
            "assets": con.execute("select asset_key, last_materialization is not null from asset_keys "
                                  "order by 1").fetchall(),
            "checks": con.execute("select asset_key, check_name, execution_status, count(*), "
                                  "count(evaluation_event_storage_id), count(materialization_event_storage_id) "
                                  "from asset_check_executions group by 1, 2, 3 order by 1, 2, 3").fetchall(),
            "tags": con.execute("select asset_key, key, count(*) from asset_event_tags group by 1, 2 "
                                "order by 1, 2").fetchall(),
        }


def _run_events(dagster: dg.DagsterInstance) -> list[list[tuple]]:
    return [sorted((r.event_log_entry.dagster_event_type or "log", r.event_log_entry.step_key or "")
                   for r in dagster.get_records_for_run(run.run_id, limit=10_000).records)
            for run in dagster.get_runs()]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same two runs in an instance with Dagster's SQLite storage and in one with the project's."""
    dagster_folder, serafin_folder = tmp_path_factory.mktemp("dagster"), tmp_path_factory.mktemp("serafin")
    (dagster_folder / "dagster.yaml").write_text(
        f"event_log_storage:\n  module: dagster._core.storage.event_log\n  class: SqliteEventLogStorage\n"
        f"  config:\n    base_dir: {dagster_folder / 'history' / 'runs'}\n", encoding="utf-8")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_folder))) as stock:
        _run_twice(stock)
    with instance.open_instance(serafin_folder / "w.dagster", capture_output=False) as ours:
        assert isinstance(ours.event_log_storage, SerafinEventLogStorage)
        _run_twice(ours)
    return dagster_folder, serafin_folder / "w.dagster"


def test_the_index_holds_what_dagster_storage_holds(both):
    stock, ours = (_index(folder) for folder in both)
    assert ours == stock
    # the two runs: each check planned then evaluated once per run, the failed one recorded as failed
    assert ("activity", "activity_has_rows", "SUCCEEDED", 2, 2, 2) in [
        (key.strip('[]"'), *rest) for key, *rest in ours["checks"]]
    assert ("stays", "stays_within_period", "FAILED", 2, 2, 2) in [
        (key.strip('[]"'), *rest) for key, *rest in ours["checks"]]


def test_the_runs_read_back_as_from_dagster_storage(both):
    with dg.DagsterInstance.from_config(str(both[0])) as stock, dg.DagsterInstance.from_config(str(both[1])) as ours:
        assert isinstance(ours.event_log_storage, SerafinEventLogStorage)
        assert _run_events(ours) == _run_events(stock)
        assert len(ours.get_runs()) == 2
        for dagster in (stock, ours):
            record = dagster.get_latest_materialization_event(dg.AssetKey("activity"))
            assert record.asset_materialization.metadata["rows_read"] == dg.IntMetadataValue(120)
            check = dg.AssetCheckKey(dg.AssetKey("stays"), "stays_within_period")
            [latest, *_] = dagster.event_log_storage.get_asset_check_execution_history(check, limit=5)
            assert latest.status.value == "FAILED"
            assert latest.event.dagster_event.event_specific_data.metadata["unexpected"] == dg.IntMetadataValue(3)


def test_the_schema_is_asked_once_per_process(tmp_path, monkeypatch):
    from sqlalchemy.dialects.sqlite.base import SQLiteDialect

    asked: list[str] = []
    has_table = SQLiteDialect.has_table

    def counted(self, connection, table_name, *args, **kwargs):
        asked.append(table_name)
        return has_table(self, connection, table_name, *args, **kwargs)

    with instance.open_instance(tmp_path / "w.dagster", capture_output=False) as ours:
        storage = ours.event_log_storage
        monkeypatch.setattr(SQLiteDialect, "has_table", counted)
        for _ in range(3):  # as three check results and three asset events ask
            assert storage.supports_asset_checks and storage.has_table("asset_event_tags")
            assert storage.has_asset_key_index_cols()
        assert asked.count("asset_check_executions") == 1 and asked.count("asset_event_tags") == 1
        assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
        assert asked.count("no_such_table") == 2  # a table missing is asked again: a migration may add it


def test_an_instance_copied_elsewhere_records_into_its_own_folder(both, tmp_path):
    """A warehouse folder copied or moved (a backup put back) takes its instance along: the next run records into
    the copy's own event log, and the original is left as it was, its operator's other settings kept."""
    import shutil

    original = both[1]
    copy = tmp_path / "moved" / "w.dagster"
    shutil.copytree(original, copy)
    with (copy / "dagster.yaml").open("a", encoding="utf-8") as handle:
        handle.write("run_retries:\n  enabled: false\n")  # an operator's edit
    before = _index(original)
    with instance.open_instance(copy, capture_output=False) as moved:
        _run_twice(moved)
        assert len(moved.get_runs()) == 4  # the two runs copied, and two new ones
    assert _index(original) == before
    with sqlite3.connect(copy / "history" / "runs" / "index.db") as con:
        assert con.execute("select count(distinct run_id) from event_logs").fetchone()[0] == 4
    text = (copy / "dagster.yaml").read_text(encoding="utf-8")
    assert str(copy / "history" / "runs") in text and str(original) not in text
    assert "run_retries:\n  enabled: false" in text
    instance.prepare(copy)
    assert (copy / "dagster.yaml").read_text(encoding="utf-8") == text  # written only when it points elsewhere
