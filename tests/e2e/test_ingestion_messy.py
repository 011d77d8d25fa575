"""Messy landing folder (data-contract section 1) and every rejection reason (section 3), through the
real pipeline, with counts worked out by hand; then a second run that must change nothing."""

import datetime as dt

import pytest

from tests.conftest import Warehouse, run_pipeline

ACTIVITY_A = (
    "event_id,person_id,finess_et,professional_id,prestation_code,started_at,ended_at,duration_min,setting,status\n"
    'e1,U1,690000013,P1,"2.2.1.1 - Accompagnements pour les actes\nde la vie quotidienne",'
    "2025-03-03T09:00:00+01:00,2025-03-03T10:00:00+01:00,,structure,realise\n"      # line 2: alias, label, newline
    "e2,U1,690000013,P1,2.9.9,2025-03-03T11:00:00,,30,structure,realise\n"           # 3: unknown code
    "e3,U1,690000013,P1, 2.3.3.1 ,2025-03-03T12:00:00,2025-03-03T11:00:00,,ecole,\n"  # 4: ends before start
    "e4,U1,690000013,P1,1.1.1,2025-03-04 09:00,,30,structure,realise\n"              # 5: a need code
    "e5,U1,690000013,P1,2.2.1,2025-03-04 09:00,,2000,structure,realise\n"            # 6: duration > 1440
    "e6,U1,690000013,P1,2.2.1,2025-03-04 10:00,,30,plage,realise\n"                  # 7: unknown setting
    "e1,U1,690000013,P1,2.2.1,2025-03-03T09:00:00,,60,structure,realise\n"           # 8: duplicate of line 2
    "e7,U1,690000013,P1,2.2.1,2025-03-05T09:00:00,,45,structure,realise\n"           # 9: ok
    "e8,U1,690000013\n"                                                              # 10: malformed
    "e9,U1,690000013,P1,2.2.1,2025-03-05T10:00:00,2025-03-05T11:00:00,30,structure,realise\n"  # 11: 30 min given, 60 by the times
)
ACTIVITY_B = ("N° événement;Identifiant usager;FINESS;Intervenant;Code prestation;Date début;Durée (min);Lieu;Statut\n"
              "f1;U2;690000013;P2;2.1.2.1 - Prestations des auxiliaires médicaux;04/03/2025 14:00;45,5;École;Réalisé\n"
              "f2;U2;690000013;P2;2.1.2.1;04/03/2025 15:00;30;domicile;Annulé\n")


@pytest.fixture(scope="session")
def messy(tmp_path_factory):
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    work = tmp_path_factory.mktemp("messy")
    land = work / "landing"
    (land / "activity").mkdir(parents=True)
    (land / "establishments.csv").write_text(
        "N° FINESS;Raison sociale;Catégorie;Places;Département\n"
        "690000013;IME Un;183 - IME;40;69\n"
        "690000021;SESSAD Deux;SESSAD;1\u00a0234;69\n"
        "12345;Trop court;IME;10;69\n"
        "690000039;Catégorie inconnue;ZZZ;10;69\n"
        "690000048;Clé fausse;MAS;10;69\n", encoding="utf-8-sig")
    (land / "persons.csv").write_text(
        "Identifiant usager;Nom;Prénom;NIR;Date de naissance;Sexe\n"
        "U1;DUPONT;Jérôme;185057512345678;12/05/2010;M\n"
        "U2;MARTIN;Zoé;;2012-01-01;F\n", encoding="cp1252")
    (land / "stays.tsv").write_text(
        "stay_id\tperson_id\tfiness_et\tdate_entree\tdate_sortie\tmode_accueil\n"
        "S1\tU1\t690000013\t01/01/2025\t\tSemi-internat\n"
        "S2\tU2\t690000013\t2025-05-01\t2025-01-01\tinternat\n"
        "S3\tU2\t690000099\t2025-01-01\t\tinternat\n"
        "S4\tU2\t690000013\t2025-01-01\t\tcamping\n", encoding="utf-8")
    (land / "activity" / "a.csv").write_text(ACTIVITY_A, encoding="utf-8")
    (land / "activity" / "b.csv").write_bytes(ACTIVITY_B.encode("cp1252"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["event_id", "person_id", "finess_et", "professional_id", "prestation_code", "started_at",
                  "duration_min"])
    sheet.append(["g1", "U1", "690000013", "P1", "2.3.3.1", dt.datetime(2025, 3, 6, 9, 0), 90])
    book.save(land / "activity" / "c.xlsx")
    pq.write_table(pa.table({"finess_et": ["690000013", "690000013", "690000099"], "year": [2025, 2025, 2025],
                             "account": ["6411", "6023", "6411"], "amount": [1000.0, -50.0, 1.0]}),
                   land / "ledger.parquet")
    (land / "staff.csv").write_bytes(
        "Matricule;FINESS;Année;Métier;ETP;Coût annuel chargé\n"
        "P1;690000013;2025;Éducateur spécialisé;0,8;48\u00a0000,50\n"
        "P3;690000013;2025;astronaute;1;10000\n".encode("cp1252"))
    (land / "needs.csv").write_text("", encoding="utf-8")
    (land / "plans.csv").write_text("plan_id,person_id\nPP1,U1\n", encoding="utf-8")
    ok, reason, warehouse = run_pipeline(land, work, validate_only=True)
    assert ok, reason
    wh = Warehouse(warehouse)
    first = {
        "log": wh.rows("select * from audit.ingestion_log order by file"),
        "rejected": wh.rows("select * from audit.rejected_rows order by file, line nulls first"),
        "activity": wh.rows("select * exclude (_batch) from core.activity order by _file, _line"),
    }
    ok, reason, _ = run_pipeline(land, work, validate_only=True)
    assert ok, reason
    return wh, first


def log_row(wh, file):
    return wh.rows("select rows_read, rows_loaded, rows_rejected, status from audit.ingestion_log where file = ?",
                   [file])[0]


def test_counts_per_file(messy):
    wh, _ = messy
    assert log_row(wh, "establishments.csv") == (5, 3, 2, "loaded")
    assert log_row(wh, "persons.csv") == (2, 2, 0, "loaded")
    assert log_row(wh, "stays.tsv") == (4, 1, 3, "loaded")
    assert log_row(wh, "activity/a.csv") == (10, 3, 7, "loaded")
    assert log_row(wh, "activity/b.csv") == (2, 2, 0, "loaded")
    assert log_row(wh, "activity/c.xlsx") == (1, 1, 0, "loaded")
    assert log_row(wh, "ledger.parquet") == (3, 2, 1, "loaded")
    assert log_row(wh, "staff.csv") == (2, 1, 1, "loaded")
    assert log_row(wh, "plans.csv") == (1, 0, 1, "rejected")
    assert log_row(wh, "needs.csv")[3] == "rejected"


def reasons(wh, file):
    return {(r[0], r[1]): r[2] for r in wh.rows(
        "select line, column_name, reason from audit.rejected_rows where file = ?", [file])}


def test_rejection_reasons_activity(messy):
    wh, _ = messy
    got = reasons(wh, "activity/a.csv")
    assert got[(3, "prestation_code")] == "prestation_code '2.9.9' is not a SERAFIN-PH code"
    assert got[(4, "ended_at")].startswith("ended_at '2025-03-03T11:00:00' is not after started_at")
    assert got[(5, "prestation_code")].startswith("prestation_code '1.1.1' is a besoin code")
    assert got[(6, "duration_min")] == "duration_min '2000' must be more than 0 and at most 1440"
    assert got[(7, "setting")].startswith("setting 'plage' is not one of")
    assert got[(8, "event_id")] == ("duplicate event_id, professional_id, person_id: first given on line 2 of "
                                    "activity/a.csv")
    assert got[(10, None)].startswith("malformed line")


def test_rejection_reasons_other_tables(messy):
    wh, _ = messy
    est = reasons(wh, "establishments.csv")
    assert est[(4, "finess_et")] == "finess_et '12345' must have 9 characters"
    assert est[(5, "category")].startswith("category 'ZZZ' is not a known ESMS category")
    stays = reasons(wh, "stays.tsv")
    assert stays[(3, "end_date")] == "end_date before start_date (2025-01-01 < 2025-05-01)"
    assert stays[(4, "finess_et")] == "finess_et '690000099' is not in establishments"
    assert stays[(5, "modality")].startswith("modality 'camping' is not one of")
    assert reasons(wh, "ledger.parquet")[(3, "finess_et")] == "finess_et '690000099' is not in establishments"
    assert reasons(wh, "staff.csv")[(3, "profession")] == "profession 'astronaute' is not in nomenclatures/professions.csv"
    assert "required column(s) prestation_code, start_date missing" in reasons(wh, "plans.csv")[(None, None)]
    assert "empty" in reasons(wh, "needs.csv")[(None, None)]


def test_messy_values_normalised(messy):
    wh, _ = messy
    rows = {r[0]: r[1:] for r in wh.rows(
        "select event_id, prestation_code, started_at, duration_min, setting, status from core.activity")}
    assert rows["e1"] == ("2.2.1", dt.datetime(2025, 3, 3, 9, 0), 60, "structure", "realise")
    assert rows["f1"] == ("2.1.2.1", dt.datetime(2025, 3, 4, 14, 0), 45.5, "ecole", "realise")
    assert rows["f2"][4] == "annule"
    assert rows["g1"] == ("2.3.3.1", dt.datetime(2025, 3, 6, 9, 0), 90, None, "realise")
    est = {r[0]: r[1:] for r in wh.rows("select finess_et, category, authorized_places, days_open from core.establishments")}
    assert est["690000013"] == ("IME", 40, 210)
    assert est["690000021"] == ("SESSAD", 1234, 210)
    assert wh.rows("select start_date, modality from core.stays") == [(dt.date(2025, 1, 1), "semi_internat")]
    assert wh.rows("select cast(annual_cost as double), cast(fte as double), profession from core.staff") == [
        (48000.5, 0.8, "educateur_specialise")]
    assert sorted(r[0] for r in wh.rows("select cast(amount as double) from core.ledger")) == [-50.0, 1000.0]
    assert wh.rows("select column_name from audit.data_warnings where value = '690000048'") == [("finess_et",)]
    # line 11: the duration given (30 min) wins over the times (60 min), with a warning naming both raw texts
    assert rows["e9"][2] == 30
    assert wh.rows("select line, column_name, value, warning from audit.data_warnings where file = 'activity/a.csv'") == [
        (11, "duration_min", "30", "duration_min '30' differs from ended_at - started_at (ended_at "
                                   "'2025-03-05T11:00:00'): the duration is used")]
    # the raw texts are kept on that row only
    assert wh.rows("select _line, ended_at_raw, duration_min_raw from validation.int_activity__checked "
                   "where ended_at_raw is not null or duration_min_raw is not null") == [
        (11, "2025-03-05T11:00:00", "30")]
    assert wh.scalar("select encoding || ' ' || delimiter from audit.ingestion_log where file = 'activity/b.csv'") == "cp1252 ;"


def test_personal_data_never_reaches_the_warehouse(messy):
    wh, _ = messy
    assert wh.scalar("select columns_dropped_personal from audit.ingestion_log where file = 'persons.csv'") == \
        "Nom, Prénom, NIR"
    assert sorted(r[0] for r in wh.rows("select birth_year from core.persons")) == [2010, 2012]
    text_columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in wh.rows("select table_schema, table_name, column_name from "
                                         "information_schema.columns where data_type = 'VARCHAR'"):
        text_columns.setdefault((schema, table), []).append(f'coalesce("{column}", \'\')')
    needles = ("DUPONT", "MARTIN", "Jérôme", "185057512345678", "12/05/2010")
    # one query per table: every text column of a row searched for every needle
    for (schema, table), columns in text_columns.items():
        found = wh.rows(f'select {", ".join(columns)} from "{schema}"."{table}" '
                        f"where regexp_matches(concat_ws(chr(31), {', '.join(columns)}), ?) limit 1",
                        ["|".join(needles)])
        assert found == [], (schema, table, found)
    ids = {r[0] for r in wh.rows("select person_id from core.persons union select person_id from core.activity")}
    assert "U1" not in ids and all(i is None or i.startswith("P") for i in ids)
    # the same person has the same pseudonym across files
    assert len({r[0] for r in wh.rows("select person_id from core.activity where event_id in ('e1', 'g1')")}) == 1


def test_second_run_changes_nothing(messy):
    wh, first = messy
    assert wh.rows("select * from audit.ingestion_log order by file") == first["log"]
    assert wh.rows("select * from audit.rejected_rows order by file, line nulls first") == first["rejected"]
    assert wh.rows("select * exclude (_batch) from core.activity order by _file, _line") == first["activity"]
