"""Ingestion you can trust (issue 9): no personal data in the audit or the raw rows, the exports French
teams really send (late Windows-1252, typographic apostrophes, French headers, Excel title blocks and
sheets, a very large cell, gzip, UTF-16, a binary file by mistake) are read or rejected with a sentence.

One landing folder, built once, run once through the real pipeline (validation only); every fact is
checked on the result. Expected counts are worked out by hand from the files written here."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil

import duckdb
import pytest

from tests.conftest import WORKED_EXAMPLE, Warehouse, run_pipeline

ACTIVITY_HEADER = "event_id,person_id,finess_et,professional_id,prestation_code,start,duration_min,setting,status\n"
# personal values written in the landing files: none may be found anywhere once the run is over
NAMES = ["DUPONTEL", "Jérômeline", "FONTAINEBLEAU", "Jeanlouis", "BERNARDINI", "Lucienne", "PETITJEAN",
         "Marie-Clothilde"]
NIRS = ["185057512345678", "285057599999999", "190017512344321"]
CLEAR_IDS = ["DOSSIER-0001", "DOSSIER-0002", "DOSSIER-0003", "DOSSIER-0004", "DOSSIER-0005"]
LATE_LINES = 1500  # ASCII lines before the first accented one: about 100 kB, past any 64 kB sniffing window
BIG_CELL = 3 * 1024 * 1024


def _activity_line(event: str, day: int, minutes: int = 30, setting: str = "structure", status: str = "realise"):
    return f"{event},A,690000013,E1,2.2.1,2025-03-{day:02d}T08:00:00,{minutes},{setting},{status}\n"


def build_landing(land):
    shutil.copytree(WORKED_EXAMPLE, land)
    for table in ("persons", "stays", "activity", "establishments"):
        (land / table).mkdir()
        (land / f"{table}.csv").rename(land / table / "base.csv")

    # malformed lines carrying names, NIR and clear person ids
    (land / "persons" / "malformed.csv").write_text(
        "person_id,nom,prenom,nir,birth_year,sex\n"
        f"{CLEAR_IDS[0]},{NAMES[0]},{NAMES[1]},{NIRS[0]},2010,M\n"                  # 2: fine
        f"{CLEAR_IDS[1]},{NAMES[2]}, {NAMES[3]},Paul,{NIRS[1]},2011,M\n"            # 3: stray comma in a name
        f"{CLEAR_IDS[3]},{NAMES[6]}\n"                                              # 4: cut short
        f"{CLEAR_IDS[2]},{NAMES[4]},\"{NAMES[5]},{NIRS[2]},2013,F\n", encoding="utf-8")  # 5: quote never closed
    # a person file with the clear id in a column named as export tools name it, and a name column
    (land / "persons" / "export.csv").write_text(
        "N° dossier;Nom de naissance;Prénoms;Année de naissance;Sexe\n"
        f"{CLEAR_IDS[4]};{NAMES[7]};Anne;2014;F\n", encoding="utf-8")

    # Windows-1252 whose first accented character comes after ~100 kB
    lines = [_activity_line(f"late{i}", 3 + i % 20) for i in range(LATE_LINES)]
    lines.append(_activity_line("late-accent", 24, setting="École", status="Réalisé"))
    (land / "activity" / "late_cp1252.csv").write_bytes((ACTIVITY_HEADER + "".join(lines)).encode("cp1252"))

    # one cell of 3 MB in a column nobody reads, on line 3 of 4
    (land / "activity" / "big_cell.csv").write_text(
        ACTIVITY_HEADER.rstrip("\n") + ",commentaire\n"
        + _activity_line("big1", 5).rstrip("\n") + ",court\n"
        + _activity_line("big2", 6).rstrip("\n") + ',"' + "x" * BIG_CELL + '"\n'
        + _activity_line("big3", 7).rstrip("\n") + ",court\n", encoding="utf-8")

    # gzip, and UTF-16 as Excel's "Unicode text" writes it (tab-separated, with a byte-order mark)
    (land / "activity" / "zipped.csv.gz").write_bytes(
        gzip.compress((ACTIVITY_HEADER + _activity_line("gz1", 10) + _activity_line("gz2", 11)).encode("utf-8")))
    (land / "activity" / "unicode.txt").write_bytes(
        ("\t".join(ACTIVITY_HEADER.rstrip("\n").split(",")) + "\r\n"
         + "\t".join(_activity_line("u16", 12, setting="école").rstrip("\n").split(",")) + "\r\n"
         ).encode("utf-16"))
    # a binary file dropped in by mistake
    (land / "activity" / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)

    # headers as Word and Excel type them: typographic apostrophe, non-breaking space, the usual French words
    (land / "stays" / "apostrophes.csv").write_text(
        "N° séjour;N° dossier;N°\u00a0FINESS;Date d\u2019entrée;Date de sortie;Mode d\u2019accueil\n"
        "sa1;A;690000013;02/01/2025;30/06/2025;internat\n", encoding="utf-8")
    (land / "stays" / "admission.csv").write_text(
        "Id séjour,Identifiant usager,Finess établissement,Date d\u2019admission,Date de fin,Modalité\n"
        "sb1,B,690000013,2025-02-01,2025-03-31,externat\n", encoding="utf-8")
    (land / "establishments" / "finess.csv").write_text(
        "n° finess;Raison sociale;Catégorie\n690000021;SESSAD Les Ormes;SESSAD\n", encoding="utf-8")

    # Excel: a notes sheet first, then the table under a title block on the second sheet
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Extraction du logiciel métier, ne pas modifier"])
    sheet = book.create_sheet("Interventions")
    sheet.append(["Export des interventions"])
    sheet.append(["Période : mars 2025"])
    sheet.append([])
    sheet.append(["N° événement", "Identifiant usager", "FINESS", "Intervenant", "Code prestation", "Date début",
                  "Durée (min)"])
    sheet.append(["x1", "A", "690000013", "E1", "2.2.1", dt.datetime(2025, 3, 13, 9, 0), 45])
    sheet.append(["x2", "B", "690000013", "E1", "2.2.1", dt.datetime(2025, 3, 14, 9, 0), 60])
    book.save(land / "activity" / "title_block.xlsx")


@pytest.fixture(scope="session")
def trust(tmp_path_factory):
    work = tmp_path_factory.mktemp("trust")
    land = work / "landing"
    build_landing(land)
    ok, reason, warehouse = run_pipeline(land, work, validate_only=True)
    assert ok, reason
    return Warehouse(warehouse)


def _log(trust, file):
    rows = trust.rows("select status, rows_read, rows_loaded, rows_rejected, message from audit.ingestion_log "
                      "where file = ?", [file])
    assert rows, f"{file} is not in the ingestion log"
    return rows[0]


def _rejections(trust, file):
    return trust.rows("select line, column_name, value, reason from audit.rejected_rows where file = ? "
                      "order by line nulls first", [file])


def test_malformed_lines_are_rejected_without_their_personal_data(trust):
    rejected = _rejections(trust, "persons/malformed.csv")
    assert [r[0] for r in rejected] == [3, 4, 5]
    assert [r[3] for r in rejected] == [
        "malformed line: 7 fields where the header has 6", "malformed line: 2 fields where the header has 6",
        "malformed line: a quoted value is never closed (the lines after it are read as part of it)"]
    # line 5 is cut short: what can be matched to the header is the person id and the name, both dropped
    for line, _column, value, _reason in rejected:
        text = value or ""
        assert not any(v in text for v in NAMES + NIRS + CLEAR_IDS), (line, text)
    # the good line is loaded, pseudonymised, without its name and NIR
    assert _log(trust, "persons/malformed.csv")[:3] == ("loaded", 4, 1)
    ids = [r[0] for r in trust.rows("select person_id from core.persons where _file = 'persons/malformed.csv'")]
    assert len(ids) == 1 and ids[0] not in CLEAR_IDS and len(ids[0]) >= 16


def test_no_personal_value_anywhere_in_the_warehouse_or_the_raw_files(trust):
    personal = NAMES + NIRS + CLEAR_IDS
    with duckdb.connect(str(trust.path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database()").fetchall()
        assert len(columns) > 100  # every table of raw, core, audit, ref and marts is scanned
        for schema, table, column in columns:
            found = con.execute(
                f'select count(*) from "{schema}"."{table}" where '
                + " or ".join(f'contains("{column}", ?)' for _ in personal), personal).fetchone()[0]
            assert found == 0, f"{schema}.{table}.{column} holds a personal value"
    raw = trust.path.with_name(trust.path.stem + ".raw")
    files = sorted(raw.rglob("*.parquet"))
    assert len(files) >= 12
    with duckdb.connect() as con:
        for path in files:
            text = con.execute("select string_agg(cast(columns(*) as varchar), '|') from read_parquet(?)",
                               [str(path)]).fetchone()
            joined = "|".join(t or "" for t in text)
            assert not any(v in joined for v in personal), path


def test_windows_1252_accents_after_the_first_64_kb(trust):
    status, read, loaded, rejected, _ = _log(trust, "activity/late_cp1252.csv")
    assert (status, read, loaded, rejected) == ("loaded", LATE_LINES + 1, LATE_LINES + 1, 0)
    row = trust.rows("select setting, status, _line from core.activity where event_id = 'late-accent'")
    assert row == [("ecole", "realise", LATE_LINES + 2)]


def test_typographic_apostrophes_and_french_end_dates(trust):
    stays = {r[0]: (r[1], r[2], r[3]) for r in trust.rows(
        "select stay_id, start_date, end_date, modality from core.stays where stay_id in ('sa1', 'sb1')")}
    assert stays == {"sa1": (dt.date(2025, 1, 2), dt.date(2025, 6, 30), "internat"),
                     "sb1": (dt.date(2025, 2, 1), dt.date(2025, 3, 31), "externat")}
    assert trust.rows("select name, category from core.establishments where finess_et = '690000021'") == [
        ("SESSAD Les Ormes", "SESSAD")]
    # the export's "N° dossier" is the person id: pseudonymised, the birth name and first names dropped
    status, read, loaded, rejected, _message = _log(trust, "persons/export.csv")
    assert (status, read, loaded, rejected) == ("loaded", 1, 1, 0)
    dropped = trust.scalar("select columns_dropped_personal from raw.ingested_files where file = 'persons/export.csv'")
    assert "Nom de naissance" in dropped and "Prénoms" in dropped


def test_excel_title_block_and_second_sheet(trust):
    status, read, loaded, rejected, message = _log(trust, "activity/title_block.xlsx")
    assert (status, read, loaded, rejected) == ("loaded", 2, 2, 0)
    assert "Interventions" in message and "row 4" in message  # where the header row was found
    rows = trust.rows("select event_id, started_at, duration_min, _line from core.activity "
                      "where _file = 'activity/title_block.xlsx' order by event_id")
    assert rows == [("x1", dt.datetime(2025, 3, 13, 9, 0), 45, 5), ("x2", dt.datetime(2025, 3, 14, 9, 0), 60, 6)]


def test_a_3_mb_cell_keeps_the_file_and_the_line_numbers(trust):
    assert _log(trust, "activity/big_cell.csv")[:4] == ("loaded", 3, 3, 0)
    assert trust.rows("select event_id, _line from core.activity where _file = 'activity/big_cell.csv' "
                      "order by _line") == [("big1", 2), ("big2", 3), ("big3", 4)]


def test_gzip_and_utf16_are_read(trust):
    assert _log(trust, "activity/zipped.csv.gz")[:4] == ("loaded", 2, 2, 0)
    assert _log(trust, "activity/unicode.txt")[:4] == ("loaded", 1, 1, 0)
    assert trust.rows("select setting from core.activity where event_id = 'u16'") == [("ecole",)]


def test_a_binary_file_gets_a_readable_reason(trust):
    status, _read, loaded, _rejected, message = _log(trust, "activity/photo.csv")
    assert status == "rejected" and loaded == 0
    assert message.isprintable() and "binary" in message.lower()
    assert "\x00" not in message and "PNG" not in message and "IHDR" not in message


def test_lines_after_malformed_ones_keep_their_numbers(tmp_path):
    """A CSV file goes straight from DuckDB's reader to its Parquet row file, numbered by position; malformed lines
    keep their numbers, so each accepted row after one is a line further (counted by hand below)."""
    from pipelines.ingestion.landing import land_folder

    land = tmp_path / "landing"
    (land / "activity").mkdir(parents=True)
    (land / "activity" / "gaps.csv").write_text(
        ACTIVITY_HEADER
        + _activity_line("g1", 3)          # line 2
        + "g2,A,690000013\n"               # 3: cut short
        + _activity_line("g3", 4)          # 4
        + _activity_line("g4", 5)          # 5
        + "g5,A,690000013,E1,2.2.1,2025-03-06T08:00:00,30,structure,realise,extra,extra\n"  # 6: too many fields
        + "g6,A\n"                         # 7: cut short
        + _activity_line("g7", 8)          # 8
        + _activity_line("  g8  ", 9), encoding="utf-8")  # 9: spaces trimmed
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        land_folder(con, land, b"k" * 32)
        assert con.execute("select event_id, _line from raw.activity order by _line").fetchall() == [
            ("g1", 2), ("g3", 4), ("g4", 5), ("g7", 8), ("g8", 9)]
        assert [r[0] for r in con.execute("select line from raw.row_rejections order by line").fetchall()] == [3, 6, 7]
        persons = {r[0] for r in con.execute("select person_id from raw.activity").fetchall()}
        assert len(persons) == 1 and "A" not in persons


def test_a_person_id_in_windows_1252_after_the_first_64_kb_is_pseudonymised(tmp_path):
    """A file that reads as UTF-8 for its first 100 kB, then has a Windows-1252 line whose person id has an accent:
    the file is read again transcoded, and that row's pseudonym is the one of the id as written (Hélène), not lost."""
    from pipelines.ingestion.landing import land_folder
    from pipelines.ingestion.pseudonym import pseudonymise

    land = tmp_path / "landing"
    (land / "activity").mkdir(parents=True)
    lines = [_activity_line(f"late{i}", 3 + i % 20) for i in range(LATE_LINES)]
    lines.append(_activity_line("accent", 24).replace(",A,", ",Hélène,"))
    (land / "activity" / "late.csv").write_bytes((ACTIVITY_HEADER + "".join(lines)).encode("cp1252"))
    key = b"k" * 32
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        land_folder(con, land, key)
        assert con.execute("select person_id, _line from raw.activity where event_id = 'accent'").fetchall() == [
            (pseudonymise(key, "Hélène"), LATE_LINES + 2)]
        assert con.execute("select count(*) from raw.row_rejections").fetchone()[0] == 0


def test_windows_1252_is_read_as_latin_1_only_where_the_two_agree(tmp_path, monkeypatch):
    """A Windows-1252 file whose bytes Latin-1 reads the same (accents, °) is read by DuckDB as it is, with no UTF-8
    copy; one with a byte where the two differ (€, ’ are 0x80 and 0x92), or with a line that is UTF-8, is transcoded
    as before. Each reads back the text that was written, and the person ids get the same pseudonyms."""
    from pipelines.ingestion import encodings
    from pipelines.ingestion.landing import land_folder
    from pipelines.ingestion.pseudonym import pseudonymise

    header = "N° événement;Identifiant usager;FINESS;Intervenant;Code prestation;Début;Durée;Lieu;Statut\n"
    files = {
        "accents": (header + "é1;Zoé;690000013;E1;2.2.1;2025-03-03T08:00:00;30;école;Réalisé\n").encode("cp1252"),
        "euro": (header + "€1;Zoé;690000013;E1;2.2.1;2025-03-03T08:00:00;30;l’école;Réalisé\n").encode("cp1252"),
        "mixed": (header.encode("cp1252") + "u1;Zoé;690000013;E1;2.2.1;2025-03-03T08:00:00;30;école;Réalisé\n"
                  .encode() + "c1;Zoé;690000013;E1;2.2.1;2025-03-03T09:00:00;30;école;Réalisé\n"
                  .encode("cp1252")),
    }
    decisions = {}
    for name, data in files.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        text = encodings.prepare_csv(path, tmp_path, name)
        decisions[name] = (text.read_as, text.encoding, text.path == path)
    assert decisions == {"accents": ("latin-1", "cp1252", True), "euro": ("utf-8", "cp1252", False),
                         "mixed": ("utf-8", "utf-8+cp1252", False)}
    # a UTF-8 pair cut by the end of a read chunk is still seen (é is C3 A9 in UTF-8)
    monkeypatch.setattr(encodings, "CHUNK", 1)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"a;b\n\xe8;" + "é".encode() + b"\n")
    assert not encodings.latin1_readable(cut)
    assert encodings.latin1_readable(tmp_path / "accents.csv")
    monkeypatch.undo()

    land = tmp_path / "landing"
    (land / "activity").mkdir(parents=True)
    for name, data in files.items():
        (land / "activity" / f"{name}.csv").write_bytes(data)
    key = b"k" * 32
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        land_folder(con, land, key)
        rows = con.execute("select _file, event_id, person_id, setting, status from raw.activity order by all").fetchall()
        logged = con.execute("select file, encoding from raw.ingested_files order by file").fetchall()
    zoe = pseudonymise(key, "Zoé")
    assert rows == [("activity/accents.csv", "é1", zoe, "école", "Réalisé"),
                    ("activity/euro.csv", "€1", zoe, "l’école", "Réalisé"),
                    ("activity/mixed.csv", "c1", zoe, "école", "Réalisé"),
                    ("activity/mixed.csv", "u1", zoe, "école", "Réalisé")]
    assert logged == [("activity/accents.csv", "cp1252"), ("activity/euro.csv", "cp1252"),
                      ("activity/mixed.csv", "utf-8+cp1252")]


def test_values_are_trimmed_as_duckdb_trims_them():
    """The ingestion skips DuckDB's trim on values that cannot need it (load_delimited._trimmed): on every kind of value it
    gives what trim gives, Unicode spaces (each one DuckDB's trim removes) at either end of accented values too."""
    from pipelines.ingestion.load_delimited import _trimmed

    values = ["a", " a ", "é", "Réalisé", "", " ", "\u00a0", "\ta", "a\u200b", "é b", "2.3.3.1 - Accompagnements d’élève"]
    with duckdb.connect() as con:
        spaces = [r[0] for r in con.execute(
            "select c from range(128, 65536) t(c) where c not between 55296 and 57343 "
            "and length(trim(chr(c::integer) || 'a' || chr(c::integer))) = 1 order by c").fetchall()]
        for c in spaces:
            values += [chr(c) + "é", "é" + chr(c), chr(c) + "x", "x" + chr(c), "é" + chr(c) + "é"]
        rows = con.execute(f"select v, {_trimmed('v')}, nullif(trim(v), '') from unnest($1) t(v)", [values]).fetchall()
    assert 0xA0 in spaces and 0x3000 in spaces
    assert [r[1] for r in rows] == [r[2] for r in rows]
    assert [r[1] for r in rows][:6] == ["a", "a", "é", "Réalisé", None, None]


def test_person_ids_met_before_and_ids_new_to_the_run(tmp_path, monkeypatch):
    """The persons file is read first and the files after it are written with the ids met so far (persons_met
    `PersonsMet`); a file naming someone new is written again with its own ids, and the files after it are read
    the safe way, their ids first. Either way each row has the HMAC of its id as written, trimmed (worked out here
    with hmac, not with the pipeline's function); a blank id stays null, an id built from the person's id carries
    the pseudonym, and no row keeps the stand-in of an id not met."""
    import hashlib
    import hmac

    from pipelines.ingestion import load_delimited
    from pipelines.ingestion.landing import land_folder
    from pipelines.ingestion.persons_met import PersonsMet

    reads = []  # the files whose person ids were read apart
    person_ids = load_delimited._person_ids
    monkeypatch.setattr(load_delimited, "_person_ids", lambda con, result, source: reads.append(result.csv.path.name)
                        or person_ids(con, result, source))

    key = b"k" * 32

    def expected(person: str) -> str:
        return "P" + hmac.new(key, person.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    land = tmp_path / "landing"
    (land / "activity").mkdir(parents=True)
    # sorted after the activity files, read before them
    (land / "persons.csv").write_text("person_id,birth_year\nU0001,2010\nU0002,2011\n", encoding="utf-8")
    # the professionals, met before the activity files as the persons are (their ids first, like persons.csv)
    (land / "staff.csv").write_text("professional_id,finess_et,year,profession,fte,annual_cost\n"
                                    "E1,690000013,2025,educateur_specialise,1,48000\n", encoding="utf-8")
    (land / "activity" / "a_known.csv").write_text(
        ACTIVITY_HEADER + _activity_line("k1", 3).replace(",A,", ",U0001,")
        + _activity_line("k2", 4).replace(",A,", ", U0002 ,") + _activity_line("k3", 5).replace(",A,", ",,"),
        encoding="utf-8")
    (land / "activity" / "b_new.csv").write_text(
        ACTIVITY_HEADER + _activity_line("U0003-n1", 3).replace(",A,", ",U0003,")
        + _activity_line("n2", 4).replace(",A,", ",U0001,"), encoding="utf-8")
    # after a file that named someone new, read the safe way
    (land / "activity" / "c_after.csv").write_text(
        ACTIVITY_HEADER + _activity_line("U0002-c1", 6).replace(",A,", ",U0002,")
        + _activity_line("c2", 7).replace(",A,", ",U0003,"), encoding="utf-8")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        land_folder(con, land, key)
        rows = con.execute("select event_id, person_id from raw.activity order by event_id").fetchall()
        persons = con.execute("select person_id from raw.persons order by _line").fetchall()
        stand_ins = con.execute("select count(*) from raw.activity where person_id = ? or event_id like ?",
                                [PersonsMet.NOT_MET, f"%{PersonsMet.NOT_MET}%"]).fetchone()[0]
    u1, u2, u3 = expected("U0001"), expected("U0002"), expected("U0003")
    assert persons == [(u1,), (u2,)]
    assert sorted(rows) == sorted([("k1", u1), ("k2", u2), ("k3", None), (f"{u3}-n1", u3), ("n2", u1),
                                   (f"{u2}-c1", u2), ("c2", u3)])
    assert stand_ins == 0
    assert list(dict.fromkeys(reads)) == ["persons.csv", "staff.csv", "b_new.csv", "c_after.csv"]  # once per id column
