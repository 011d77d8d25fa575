"""Incremental runs (README "Incremental runs"). Ingestion: only new or changed files are read again, a removed
file's rows go, and the raw rows live as one Parquet file per landing file beside the warehouse. dbt: a run whose
only change is new activity files validates them with the events they touch and rebuilds their years, and ends
with the same tables as a full build."""

import shutil

import duckdb
import pytest

from tests.conftest import WORKED_EXAMPLE

MARCH = "event_id,person_id,finess_et,professional_id,prestation_code,start,end,duration_min,setting,status\n" \
        "m1,A,690000013,E1,2.2.1,2025-03-10T09:00:00,,60,structure,realise\n"
APRIL = "event_id,person_id,finess_et,professional_id,prestation_code,start,end,duration_min,setting,status\n" \
        "a1,A,690000013,E1,2.2.1,2025-04-07T09:00:00,,60,structure,realise\n" \
        "a2,B,690000013,E1,2.2.1,2025-04-07T10:00:00,,60,structure,realise\n"


def _land(landing, warehouse):
    from pipelines.ingestion.landing import land_folder
    from pipelines.ingestion.store import collect_garbage, raw_folder

    with duckdb.connect(str(warehouse)) as con:
        summary = land_folder(con, landing, b"test-key-for-incremental-runs-32-bytes")
        collect_garbage(con, raw_folder(warehouse))  # as a run does once its warehouse is swapped in
        rows = dict(con.execute("select _file, count(*) from raw.activity group by _file").fetchall())
    return {o.file: o.status for o in summary.outcomes}, summary.removed, rows


def test_only_new_changed_and_removed_files_are_touched(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "activity").mkdir()  # a folder of monthly files, as exports come
    (landing / "activity.csv").rename(landing / "activity" / "2025-02.csv")
    (landing / "activity" / "2025-03.csv").write_text(MARCH, encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"

    status, removed, rows = _land(landing, warehouse)
    assert set(status.values()) == {"loaded"} and removed == []
    assert rows == {"activity/2025-02.csv": 9, "activity/2025-03.csv": 1}
    raw = tmp_path / "w.raw"
    assert len(list((raw / "activity").glob("*.parquet"))) == 2

    # one more month: only that file is read
    (landing / "activity" / "2025-04.csv").write_text(APRIL, encoding="utf-8")
    status, removed, rows = _land(landing, warehouse)
    assert status.pop("activity/2025-04.csv") == "loaded"
    assert set(status.values()) == {"unchanged"}
    assert rows == {"activity/2025-02.csv": 9, "activity/2025-03.csv": 1, "activity/2025-04.csv": 2}

    # a corrected month replaces its rows; a withdrawn month takes its rows with it
    (landing / "activity" / "2025-04.csv").write_text(APRIL.rsplit("a2,", 1)[0], encoding="utf-8")
    (landing / "activity" / "2025-03.csv").unlink()
    status, removed, rows = _land(landing, warehouse)
    assert status["activity/2025-04.csv"] == "loaded" and status["activity/2025-02.csv"] == "unchanged"
    assert removed == ["activity/2025-03.csv"]
    assert rows == {"activity/2025-02.csv": 9, "activity/2025-04.csv": 1}
    assert len(list((raw / "activity").glob("*.parquet"))) == 2

    # a row file lost outside the pipeline is noticed and the landing file read again
    for row_file in (raw / "activity").glob("*.parquet"):
        row_file.unlink()
    status, _, rows = _land(landing, warehouse)
    assert status["activity/2025-02.csv"] == "loaded"
    assert rows == {"activity/2025-02.csv": 9, "activity/2025-04.csv": 1}


# --- incremental dbt builds (pipelines/incremental.py, dbt_project/macros/incremental.sql) -----------------------

HEADER = "event_id,person_id,finess_et,professional_id,prestation_code,start,end,duration_min,setting,status\n"


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The worked example's activity in two monthly files: a first run on the first, then the second added. The
    second file's name sorts first and repeats ev1: the old ev1 row becomes the duplicate. Both runs build the
    warehouse only (`serafin run --warehouse-only`): the tests read its tables, not the pages nor the checks."""
    from pipelines import incremental
    from tests.conftest import run_pipeline

    work = tmp_path_factory.mktemp("refresh")
    landing = work / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    lines = (landing / "activity.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (landing / "activity.csv").unlink()
    (landing / "activity").mkdir()
    (landing / "activity" / "2025-03-x.csv").write_text(HEADER + "".join(lines[1:7]), encoding="utf-8")  # ev1 to ev5
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first_batch = con.execute("select distinct _batch from validation.int_activity__checked").fetchall()
        assert incremental.last_build(con) == incremental.Plan(False, "no previous build of this dbt project recorded in this warehouse")
    (landing / "activity" / "2025-03-a.csv").write_text(HEADER + lines[1] + "".join(lines[7:]), encoding="utf-8")
    ok, reason, warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert incremental.last_build(con) == incremental.Plan(
            True, "1 new activity file(s): activity/2025-03-a.csv")
    return warehouse, first_batch


def test_a_month_added_is_validated_with_the_events_it_touches(refreshed):
    warehouse, first_batch = refreshed
    assert len(first_batch) == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        batches = dict(con.execute("select _batch, count(*) from validation.int_activity__checked "
                                   "group by _batch").fetchall())
        rejected = con.execute("select file, line, reason from audit.rejected_rows").fetchall()
    # the first run's rows stay, except ev1's old row, re-validated with the 4 new rows (ev1 again, ev6, ev7, ev8)
    assert batches == {first_batch[0][0]: 5, next(b for b in batches if b != first_batch[0][0]): 5}
    assert rejected == [("activity/2025-03-x.csv", 2, "duplicate event_id, professional_id, person_id: first given on "
                         "line 2 of activity/2025-03-a.csv")]


def test_an_incremental_build_equals_a_full_build(refreshed, worked_example):
    """The same activity rows as the worked example (one repeated row set aside): every cost, indicator and
    intermediate table equals the full build of the worked example (file names aside)."""
    from pipelines.spark_engine import compare_warehouses

    warehouse, _ = refreshed
    compared, problems = compare_warehouses(warehouse, worked_example.path, ("intermediate", "marts", "indicators"),
                                            ignore=("_batch", "_file", "_line"))
    assert compared > 60
    assert problems == []


def test_only_new_activity_files_make_an_incremental_build(refreshed, tmp_path, monkeypatch):
    from pipelines import incremental

    warehouse, _ = refreshed
    copy = tmp_path / warehouse.name
    shutil.copyfile(warehouse, copy)
    renamed = tmp_path / "renamed.duckdb"
    shutil.copyfile(warehouse, renamed)
    with duckdb.connect(str(renamed)) as con:
        options = con.execute("select options from raw.build_state").fetchone()[0]
        # its raw views read the original's row files: a build of the copy starts again from the landing folder
        assert incremental.plan(con, options, "duckdb") == incremental.Plan(
            False, "the warehouse file was renamed since the last build (it was warehouse.duckdb)")
        # every view reads the tables of the file it is in, whatever the file is called (macros/views.sql): a copy
        # of the warehouse serves the reports and `serafin scenario` as the original does
        views = con.execute("select schema_name, view_name, sql from duckdb_views() where not internal "
                            "and schema_name <> 'raw'").fetchall()
        assert len(views) > 20
        for schema, view, sql in views:
            assert "warehouse." not in sql, (schema, view)
            con.execute(f'select count(*) from "{schema}"."{view}"').fetchone()
    with duckdb.connect(str(copy)) as con:
        options = con.execute("select options from raw.build_state").fetchone()[0]

        def decide():
            return incremental.plan(con, options, "duckdb")

        assert decide() == incremental.Plan(True, "0 new activity file(s)")
        assert decide().changed == ("ingested_files", "row_rejections")  # the bookkeeping only
        assert not incremental.plan(con, "other options", "duckdb").incremental
        assert incremental.plan(con, options, "spark").reason == "the spark engine builds every table"
        con.execute("insert into raw.ingested_files (file, source_table, sha256, status) "
                    "values ('activity/2025-04.csv', 'activity', 'abc', 'loaded')")
        assert decide() == incremental.Plan(True, "1 new activity file(s): activity/2025-04.csv")
        assert decide().changed == ("ingested_files", "row_rejections", "activity")
        con.execute("insert into raw.ingested_files (file, source_table, sha256, status) "
                    "values ('staff_2026.csv', 'staff', 'abc', 'loaded')")
        assert decide() == incremental.Plan(False, "staff_2026.csv is a new staff file")
        con.execute("delete from raw.ingested_files where file = 'staff_2026.csv'")
        con.execute("update raw.ingested_files set sha256 = 'edited' where file = 'ledger.csv'")
        assert decide() == incremental.Plan(False, "ledger.csv changed")
        con.execute("delete from raw.ingested_files where file = 'ledger.csv'")
        assert decide() == incremental.Plan(False, "ledger.csv was removed from the landing folder")
        monkeypatch.setattr(incremental, "project_digest", lambda: "another project")
        assert decide().reason == "the dbt project or a parameter file changed since the last build"
        incremental.forget(con)
        assert decide() == incremental.Plan(False, "no previous build of this dbt project recorded in this warehouse")


def test_an_incremental_build_leaves_what_reads_no_activity_alone():
    """dbt skips the seeds and models that read neither the activity rows nor the ingestion bookkeeping: their
    inputs did not change. Which ones follows from the lineage: the staff and the ledger read no activity; the
    validated activity, the actions, the audit of ingestion and every cost mart do. With no new file, only the
    audit of ingestion is rebuilt."""
    import json

    from pipelines import incremental
    from pipelines.defs.project import dbt_project, prepare_manifest

    prepare_manifest()
    manifest = json.loads(dbt_project().manifest_path.read_text(encoding="utf-8"))
    unchanged = set(incremental.unchanged_nodes(manifest, ("ingested_files", "row_rejections", "activity")))
    assert {"staff", "ledger", "int_staff__checked", "int_ledger__checked", "stays", "needs", "plans"} <= unchanged
    assert {"serafin_codes", "needs_to_prestations", "professions"} <= unchanged  # seeds
    assert not {"int_activity__checked", "activity", "int_actions", "ingestion_log", "rejected_rows",
                "cost_per_prestation", "indicators_board"} & unchanged
    # closed upstream: nothing left alone reads something rebuilt
    names = {uid: node["name"] for uid, node in manifest["nodes"].items()}
    sources = {uid: source["name"] for uid, source in manifest["sources"].items()}

    def rebuilt(uid):
        return names[uid] not in unchanged if uid in names else sources[uid] in ("activity", "ingested_files",
                                                                                  "row_rejections")

    for node in manifest["nodes"].values():
        if node["name"] in unchanged and node["resource_type"] in ("seed", "model"):
            assert not [p for p in node["depends_on"].get("nodes", []) if rebuilt(p)], node["name"]
    nothing_new = set(incremental.unchanged_nodes(manifest, ("ingested_files", "row_rejections")))
    assert unchanged < nothing_new
    assert {"int_activity__checked", "activity", "int_actions", "cost_per_prestation"} <= nothing_new
    assert not {"ingestion_log", "rejected_rows"} & nothing_new
