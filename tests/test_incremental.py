"""Incremental ingestion (README "Incremental runs"): only new or changed files are read again, a
removed file's rows go, and the raw rows live as one Parquet file per landing file beside the warehouse."""

import shutil

import duckdb

from tests.conftest import WORKED_EXAMPLE

MARCH = "event_id,person_id,finess_et,professional_id,prestation_code,start,end,duration_min,setting,status\n" \
        "m1,A,690000013,E1,2.2.1,2025-03-10T09:00:00,,60,structure,realise\n"
APRIL = "event_id,person_id,finess_et,professional_id,prestation_code,start,end,duration_min,setting,status\n" \
        "a1,A,690000013,E1,2.2.1,2025-04-07T09:00:00,,60,structure,realise\n" \
        "a2,B,690000013,E1,2.2.1,2025-04-07T10:00:00,,60,structure,realise\n"


def _land(landing, warehouse):
    from pipelines.ingestion.landing import collect_garbage, land_folder, raw_folder

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
