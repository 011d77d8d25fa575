"""The FINESS feed as an input and the offer of the territory, on real FINESS records (tests/fixtures/finess:
200 disability ESMS of 9 gestionnaires). Expected figures are read off the fixture files by hand (grep / awk
on the flat extract): they are not computed by the code under test.

Two landing folders hold the same records: one the JSON feed (the structures file gzipped, the activities file
plain), the other the flat CSV extract plus one bad line. The cooperation of both has the worked example's IME
and the SESSAD 010008183 as members, and a partner whose FINESS is the SAMSAH 2A0002408.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, WORKED_EXAMPLE, Warehouse, run_pipeline

FINESS = FIXTURES / "finess"

COOPERATION = """\
name: Plateforme test
members:
  - finess_et: "690000013"
  - finess_et: "010008183"
partners: [P1]
"""


# Ain (01), SESSAD: six persons waiting since 2025 (O1-O6), five oriented in June 2024 and admitted in February
# 2025 (A1-A5), one refusal; IME: two waiting (a small cell); two bad rows
ORIENTATIONS = """\
usager_id;departement;date_decision;orientation;statut;finess;date_admission
O1;01;31/01/2025;SESSAD;en attente;;
O2;01;02/03/2025;182;En attente;;
O3;01;01/05/2025;Service d'éducation spéciale et de soins à domicile;en_attente;;
O4;01;01/07/2025;SESSAD;en_attente;;
O5;01;01/09/2025;SESSAD;en_attente;;
O6;01;01/11/2025;SESSAD;en_attente;;
A1;01;01/06/2024;SESSAD;admis;010008183;01/02/2025
A2;01;01/06/2024;SESSAD;Admis;010008183;01/02/2025
A3;01;01/06/2024;SESSAD;admise;010008183;01/02/2025
A4;01;01/06/2024;SESSAD;admis;010008183;01/02/2025
A5;01;01/06/2024;SESSAD;admis;010008183;01/02/2025
R1;01;01/04/2025;SESSAD;refus;;
I1;01;01/06/2025;IME;en_attente;;
I2;01;01/06/2025;IME;en_attente;;
B1;01;01/06/2025;MECS;en_attente;;
B2;01;01/06/2025;IME;perdu;;
"""

# Ain, 2025: 172 000 children (0-19 in four bands), 330 000 adults of 20-59; nothing for Corse-du-Sud
POPULATION = """\
departement,tranche_age,population,annee
01,0-4,40000,2025
01,5-9,42000,2025
01,10-14,44000,2025
01,15-19,46000,2025
01,20 à 59 ans,330000,2025
01,60 ans et plus,180000,2025
"""


def _landing(root: Path, finess_files: dict[str, bytes]) -> Path:
    landing = root / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    with (landing / "establishments.csv").open("a", encoding="utf-8") as handle:
        handle.write("010008183,SAFEP-SSEFIS,182,010000255,01,60\n")
    (landing / "partners.csv").write_text("partner_id,name,kind,finess\nP1,SAMSAH Isatis Ajaccio,medico_social,"
                                          "2A0002408\n", encoding="utf-8")
    (landing / "cooperation.yaml").write_text(COOPERATION, encoding="utf-8")
    (landing / "orientations.csv").write_text(ORIENTATIONS, encoding="utf-8")
    (landing / "population.csv").write_text(POPULATION, encoding="utf-8")
    with (landing / "persons.csv").open("a", encoding="utf-8") as handle:
        handle.write("".join(f"Q{i},2015,F\n" for i in range(1, 6)))
    with (landing / "stays.csv").open("a", encoding="utf-8") as handle:
        handle.write("".join(f"q{i},Q{i},010008183,2025-01-01,,externat\n" for i in range(1, 6)))
    (landing / "finess").mkdir()
    for name, content in finess_files.items():
        (landing / "finess" / name).write_bytes(content)
    return landing


@pytest.fixture(scope="module")
def feeds(tmp_path_factory) -> tuple[Warehouse, Warehouse]:
    structures = (FINESS / "finess-structures-ph-esms-sample.json").read_bytes()
    activities = (FINESS / "finess-activites-ph-esms-sample.json").read_bytes()
    work = tmp_path_factory.mktemp("finess_json")
    landing = _landing(work, {"finess-structures.json.gz": gzip.compress(structures),
                              "finess-activites.json": activities})
    # the warehouse only (`serafin run --warehouse-only`): test_the_territory_page builds its page itself
    ok, reason, json_warehouse = run_pipeline(landing, work, data_quality=False)
    assert ok, reason
    work = tmp_path_factory.mktemp("finess_csv")
    etablissements = (FINESS / "ph-esms-etablissements.csv").read_bytes()
    bad = b"01000825,010000255,ASS,SESSAD X,182,34,A,2020-01-01,,01000,01053,BOURG EN BRESSE,\n"
    landing = _landing(work, {"etablissements.csv": etablissements + bad,
                              "capacites.csv": (FINESS / "ph-esms-activites-capacites.csv").read_bytes()})
    # validation only (`serafin validate`): the two formats meet in the core tables, which the marts read alike
    ok, reason, csv_warehouse = run_pipeline(landing, work, validate_only=True)
    assert ok, reason
    return Warehouse(json_warehouse), Warehouse(csv_warehouse)


def test_the_feed_is_read_whole(feeds):
    json_feed, _ = feeds
    log = {r[0]: r[1:] for r in json_feed.rows(
        "select file, source_table, format, rows_read, rows_loaded, rows_rejected from audit.ingestion_log "
        "where file like 'finess/%'")}
    assert log == {"finess/finess-structures.json.gz": ("finess_structures", "json", 200, 200, 0),
                   "finess/finess-activites.json": ("finess_capacities", "json", 832, 832, 0)}
    # 165 open (état A), 35 closed; 9 legal entities
    assert json_feed.rows("select count(*), sum(case when is_open then 1 else 0 end), count(distinct finess_ej) "
                          "from core.finess_structures") == [(200, 165, 9)]


def test_the_gzipped_feed_and_the_flat_extract_give_the_same_rows(feeds):
    json_feed, csv_feed = feeds
    columns = ("finess_et, finess_ej, category_code, category, is_open, opened_on, closed_on, commune_code, "
               "department, postcode")
    query = f"select {columns} from core.finess_structures order by finess_et"
    assert json_feed.rows(query) == csv_feed.rows(query)
    query = ("select finess_et, activity_id, is_active, activity_code, operating_mode, public, capacity_kind, quantity "
             "from core.finess_capacities order by all")
    assert json_feed.rows(query) == csv_feed.rows(query)
    # the bad line of the flat extract is quarantined with its reason, not lost
    assert csv_feed.rows("select file, line, column_name, value, reason from audit.rejected_rows "
                         "where source_table = 'finess_structures'") == [
        ("finess/etablissements.csv", 202, "finess_et", "01000825", "finess_et '01000825' must have 9 characters")]


def test_corsican_and_overseas_numbers(feeds):
    json_feed, _ = feeds
    corsica = json_feed.rows("select finess_et, department, is_open from core.finess_structures "
                             "where department in ('2A', '2B') order by 1")
    assert corsica == [("2A0002408", "2A", True), ("2A0003323", "2A", False), ("2A0003331", "2A", True),
                       ("2B0002638", "2B", True)]
    assert json_feed.scalar("select count(*) from core.finess_structures where department like '97_'") == 14
    # the check digit holds on every number of the feed, Corsican ones read with 2A = 21, 2B = 22
    assert json_feed.scalar("select count(*) from audit.data_warnings where source_table = 'finess_structures'") == 0
    assert json_feed.scalar("select count(*) from validation.int_finess_structures__checked "
                            "where finess_luhn_ok") == 200


def test_open_esms_per_category(feeds):
    json_feed, _ = feeds
    # open ESMS per category code in the flat extract (awk on column etat = A): legacy codes (437, 382, 252) and
    # the 2022 codes (448, 449) side by side
    per_category = dict(json_feed.rows("select category, sum(establishments) from marts.territory_offer group by 1"))
    assert {k: per_category.get(k) for k in ("SESSAD", "IME", "ESAT", "SAMSAH", "SAVS", "MAS", "EAM", "EANM", "FAM",
                                             "FV", "FH")} == {
        "SESSAD": 19, "IME": 19, "ESAT": 16, "SAMSAH": 17, "SAVS": 12, "MAS": 10, "EAM": 13, "EANM": 7, "FAM": 4,
        "FV": 9, "FH": 8}
    assert sum(per_category.values()) == 165


def test_places_and_the_cooperation_share(feeds):
    json_feed, _ = feeds
    row = """select establishments, gestionnaires, authorized_places, installed_places, cooperation_establishments,
                    cooperation_places, round(cooperation_share, 6)
             from marts.territory_offer where department = ? and category = ?"""
    # Ain, SESSAD: 010011914 (12 places) and the member 010008183 (50 + 10 on two activities); the three others
    # of the department are closed
    assert json_feed.rows(row, ["01", "SESSAD"]) == [(2, 1, 72, 72, 1, 60, round(60 / 72, 6))]
    # Corse-du-Sud, SAMSAH: the partner 2A0002408 (8 places, its capacity given on two lines) and 2A0003331 (5)
    assert json_feed.rows(row, ["2A", "SAMSAH"]) == [(2, 1, 13, 13, 1, 8, round(8 / 13, 6))]


def test_demand_from_the_orientations(feeds):
    json_feed, _ = feeds
    rows = {(d, c, y): r for d, c, y, *r in json_feed.rows(
        "select department, category, year, waiting_persons, median_waiting_days, p90_waiting_days, admissions, "
        "small_cell from marts.territory_demand")}
    # 31 December 2025: O1-O6 wait 334, 304, 244, 183, 121 and 60 days: median (183 + 244) / 2, 90th percentile
    # 304 + 0.5 × (334 - 304); A1-A5 were admitted in 2025
    assert rows[("01", "SESSAD", 2025)] == [6, 213.5, 319.0, 5, False]
    # 31 December 2024: A1-A5 were waiting, 213 days each (1 June to 31 December); nobody admitted yet
    assert rows[("01", "SESSAD", 2024)] == [5, 213.0, 213.0, 0, False]
    # two persons waiting for an IME: suppressed
    assert rows[("01", "IME", 2025)] == [None, None, None, 0, True]
    rejected = json_feed.rows("select value, reason from audit.rejected_rows where source_table = 'orientations' "
                              "order by line")
    assert rejected == [("MECS", "category 'MECS' is not a known ESMS category (FINESS code or short label of "
                                 "nomenclatures/esms_categories.csv)"),
                        ("perdu", "status 'perdu' is not one of admis, en_attente, refus, sans_suite")]
    # the same person keeps the same pseudonym in every table
    assert json_feed.scalar("select count(*) from core.orientations where person_id in (select person_id from "
                            "core.stays)") == 0
    assert json_feed.scalar("select count(distinct person_id) from core.orientations") == 14


def test_coverage_of_the_territory(feeds):
    json_feed, _ = feeds
    row = """select authorized_places, inhabitants, places_per_1000, waiting_per_place, cooperation_file_active_per_place
             from marts.territory_coverage where department = ? and category = ? and year = ?"""
    # SESSAD of the Ain: 72 places for 172 000 children; 6 waiting; the member's 5 persons for its 60 places
    assert json_feed.rows(row, ["01", "SESSAD", 2025]) == [(72, 172000, 72 * 1000 / 172000, 6 / 72, 5 / 60)]
    # an adults' category is measured against the 20-59 band
    esat = json_feed.rows(row, ["01", "ESAT", 2025])[0]
    assert esat[1] == 330000 and esat[2] == esat[0] * 1000 / 330000
    # Corse-du-Sud has no population row: no rate (NULL, never 0)
    assert json_feed.rows(row, ["2A", "SAMSAH", 2025]) == [(13, None, None, None, None)]
    # the worked example's IME (a member, 3 persons) is a small cell
    assert json_feed.rows(row, ["69", "IME", 2025])[0][4] is None


def test_the_territory_page(feeds, tmp_path):
    """territoire.html lays out the marts' figures: the offer, the suppressed demand cell, the rate per 1,000
    inhabitants, and every open ESMS with coordinates on the offline map; its tables download as Excel; the index
    links it. Both written by the builders the run's report step calls."""
    import re

    import openpyxl

    from reports.index import build_index
    from reports.territory import build_territory_page

    json_feed, _ = feeds
    reports = tmp_path / "reports"
    text = build_territory_page(json_feed.path, reports).read_text(encoding="utf-8")
    build_index(json_feed.path, reports)
    # Ain, SESSAD: 72 places of which 60 the member's (83,3 %); IME waiting: a small cell
    assert "<td>01</td><td>SESSAD</td>" in text and "83,3\u202f%" in text
    assert '<td>01</td><td>IME</td><td class="n">2025</td><td class="n">&lt; 5</td>' in text
    assert f"{72 * 1000 / 172000:.2f}".replace(".", ",") in text  # places per 1,000 children: 0,42
    # the map: one point per open disability ESMS with coordinates, on plain axes (no geo layer, no tiles)
    mapped = json_feed.scalar("select count(*) from marts.territory_establishments where longitude is not null")
    # each point's hover text ends with its places ("SESSAD TROUBLE DU LANGAGE AFIS (SESSAD, BOURG EN BRESSE) : 12 places")
    points = len(re.findall(r': \d+ places"', text))
    assert mapped > 50 and points == mapped
    # plain axes of longitude and latitude: nothing to fetch (a geo or tile map would load its shapes or tiles)
    assert '"title":{"text":"Longitude"}' in text and not re.search(r'src="https?://', text)
    workbook = openpyxl.load_workbook(reports / "donnees" / "territoire-offre.xlsx")
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Département", "Catégorie", "Libellé")
    assert len(rows) - 1 == json_feed.scalar("select count(*) from marts.territory_offer")
    assert 'href="territoire.html"' in (reports / "index.html").read_text(encoding="utf-8")
