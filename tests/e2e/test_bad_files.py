"""One bad file never stops every ESMS (issue 35): one landing folder, the worked example with one wrong file per
case, run once through the whole pipeline. The run succeeds, the other files load, and each wrong file is in
`audit.ingestion_log` with the sentence a person reads:

- the persons files: `persons.csv` empty (0 bytes) and `persons/2025.csv` whose line of person A has a field too
  many. A and C are then listed by no persons file: their stays and activity load, with one data warning per file;
- the FINESS feed: the structures file gzipped and cut after its fourth legal entity (an interrupted download), an
  activities file cut inside its third legal entity (plain JSON), another one empty;
- the TDDUI FHIR folder: a gzipped Bundle cut in half, an empty NDJSON file;
- a file no landing table takes (`notes.pdf`).

Expected figures are counted by hand on tests/fixtures (worked_example: A is on stay s1 and activity rows ev1, ev3,
ev5; C on stay s3 and rows ev6, ev8) or read off the FINESS fixture's own legal entities, not off the output."""

from __future__ import annotations

import gzip
import json
import shutil
import zlib

import pytest

from tests.conftest import FIXTURES, WORKED_EXAMPLE, Warehouse, run_pipeline

STRUCTURES = json.loads((FIXTURES / "finess" / "finess-structures-ph-esms-sample.json").read_text(encoding="utf-8"))
ACTIVITIES = json.loads((FIXTURES / "finess" / "finess-activites-ph-esms-sample.json").read_text(encoding="utf-8"))


def _feed_head(feed: dict) -> str:
    return json.dumps({k: v for k, v in feed.items() if k != "pmej"}, ensure_ascii=False)[:-1] + ', "pmej": ['


def _cut_gzip(feed: dict, whole: int) -> bytes:
    """The feed gzipped entity by entity (each flushed), cut inside the compressed bytes of entity `whole` + 1:
    a download interrupted after `whole` legal entities."""
    compressor = zlib.compressobj(wbits=31)  # a gzip stream
    out = compressor.compress(_feed_head(feed).encode()) + compressor.flush(zlib.Z_FULL_FLUSH)
    for i, entity in enumerate(feed["pmej"][:whole + 1]):
        part = compressor.compress((("," if i else "") + json.dumps(entity, ensure_ascii=False)).encode())
        part += compressor.flush(zlib.Z_FULL_FLUSH)
        out += part if i < whole else part[:len(part) // 2]
    return out


def _cut_json(feed: dict, whole: int) -> bytes:
    """The feed as plain JSON, cut in the middle of entity `whole` + 1."""
    text = _feed_head(feed) + ",".join(json.dumps(e, ensure_ascii=False) for e in feed["pmej"][:whole])
    following = json.dumps(feed["pmej"][whole], ensure_ascii=False)
    return (text + "," + following[:len(following) // 2]).encode()


def _cut_fhir() -> bytes:
    bundle = gzip.compress((FIXTURES / "tddui" / "Bundle-tddui-example.json").read_bytes())
    return bundle[:len(bundle) // 2]


FILES = {
    "persons.csv": b"",
    # a name with an unquoted comma: one field too many (the name column itself is personal data, never loaded)
    "persons/2025.csv": b"person_id,nom,birth_year,sex\nA,Dupont, Jean,2012,M\nB,Martin,2010,F\n",
    "finess/finess-structures-cut.json.gz": _cut_gzip(STRUCTURES, 4),
    "finess/finess-activites-cut.json": _cut_json(ACTIVITIES, 2),
    "finess/finess-activites-empty.json": b"",
    "fhir/tddui-cut.json.gz": _cut_fhir(),
    "fhir/tddui-empty.ndjson": b"",
    "notes.pdf": b"%PDF-1.4\n",  # a file no table takes
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> Warehouse:
    work = tmp_path_factory.mktemp("bad-files")
    landing = work / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    for name, content in FILES.items():
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_bytes(content)
    ok, reason, warehouse = run_pipeline(landing, work)
    assert ok, reason
    return Warehouse(warehouse)


def _log(wh: Warehouse, file: str):
    return wh.rows("select status, rows_read, rows_loaded, rows_rejected, message from audit.ingestion_log "
                   "where file = ?", [file])[0]


def test_every_file_of_the_landing_folder_is_in_the_ingestion_log(bad):
    logged = {r[0] for r in bad.rows("select file from audit.ingestion_log")}
    expected = {p.relative_to(WORKED_EXAMPLE).as_posix() for p in WORKED_EXAMPLE.rglob("*") if p.is_file()}
    assert logged == expected | set(FILES)
    # the good files all loaded
    assert bad.rows("select file from audit.ingestion_log where status <> 'loaded' order by file") == [
        ("fhir/tddui-cut.json.gz",), ("fhir/tddui-empty.ndjson",), ("finess/finess-activites-empty.json",),
        ("notes.pdf",), ("persons.csv",)]
    [(table, status, message)] = bad.rows("select source_table, status, message from audit.ingestion_log "
                                          "where file = 'notes.pdf'")
    assert (table, status) == ("unknown", "rejected")
    assert message.startswith("notes.pdf belongs to no landing table (expected one of establishments, persons, ")


def test_persons_absent_from_the_persons_files_load_with_a_warning(bad):
    assert _log(bad, "persons.csv")[:4] == ("rejected", 0, 0, 0)
    # the line with a field too many is quarantined with its file and line; B loads
    assert _log(bad, "persons/2025.csv")[:4] == ("loaded", 2, 1, 1)
    assert bad.rows("select line, reason from audit.rejected_rows where file = 'persons/2025.csv'") == [
        (2, "malformed line: 5 fields where the header has 4")]
    # nothing of the malformed line is stored (a name is in it)
    assert bad.rows("select value from audit.rejected_rows where file = 'persons/2025.csv'") == [(None,)]
    assert bad.scalar("select count(*) from core.persons") == 1
    # every stay and activity row loads, those of A and C included
    assert bad.scalar("select count(*) from core.stays") == 3
    assert bad.scalar("select count(*) from core.activity") == 9
    assert bad.rows("select source_table, file, line, warning from audit.data_warnings where column_name = "
                    "'person_id' order by source_table") == [
        ("activity", "activity.csv", None, "5 activity rows name 2 persons absent from persons/2025.csv: their "
                                           "birth year and sex are unknown"),
        ("stays", "stays.csv", None, "2 stays name 2 persons absent from persons/2025.csv: their birth year and "
                                     "sex are unknown"),
    ]


def test_indicators_count_absent_persons_as_unknown(bad):
    """The costs reach every person; the tableau de bord puts A and C (no birth year) in the unknown age band."""
    assert bad.scalar("select count(distinct person_id) from marts.person_cost") == 3
    bands = dict(bad.rows("select breakdown, numerator from marts.tableau_de_bord "
                          "where figure = 'age_structure' and scope = '690000013' and year = 2025"))
    assert bands.get("unknown") == 2


def test_a_finess_feed_cut_short_loads_the_entities_before_the_cut(bad):
    status, read, loaded, rejected, message = _log(bad, "finess/finess-structures-cut.json.gz")
    establishments = [e["informationsGeneralesEGE"]["numFinessEge"] for pm in STRUCTURES["pmej"][:4]
                      for e in pm["ege"]]
    assert (status, read, loaded, rejected) == ("loaded", len(establishments) + 1, len(establishments), 1)
    assert message == ("finess/finess-structures-cut.json.gz is incomplete (the compressed file ends before its end "
                       "marker: it was cut short): the 4 legal entities before the cut are loaded, the rest of the "
                       "file is missing; download it again from data.gouv.fr")
    assert bad.rows("select reason from audit.rejected_rows where file = 'finess/finess-structures-cut.json.gz'") \
        == [(message,)]
    assert sorted(r[0] for r in bad.rows("select finess_et from raw.finess_structures")) == sorted(establishments)

    status, *_, message = _log(bad, "finess/finess-activites-cut.json")
    assert status == "loaded" and "the 2 legal entities before the cut are loaded" in message
    assert "ends inside its `pmej` array" in message
    expected = {e["numFinessEge"] for pm in ACTIVITIES["pmej"][:2] for e in pm["ege"] if e.get("activitesExercees")}
    assert {r[0] for r in bad.rows("select distinct finess_et from raw.finess_capacities")} == expected


def test_an_empty_finess_file_is_quarantined_with_a_sentence(bad):
    assert _log(bad, "finess/finess-activites-empty.json") == (
        "rejected", 0, 0, 0, "finess/finess-activites-empty.json is empty (0 bytes): an interrupted download? "
                             "Download it again from data.gouv.fr")
    assert bad.scalar("select source_table from audit.ingestion_log "
                      "where file = 'finess/finess-activites-empty.json'") == "finess_capacities"


def test_the_territory_marts_build_with_what_remains(bad):
    establishments = {e["informationsGeneralesEGE"]["numFinessEge"] for pm in STRUCTURES["pmej"][:4]
                      for e in pm["ege"]}
    built = {r[0] for r in bad.rows("select finess_et from marts.territory_establishments")}
    assert built and built <= establishments | {"690000013"}


def test_fhir_files_cut_or_empty_are_quarantined(bad):
    status, read, _, _, message = _log(bad, "fhir/tddui-cut.json.gz")
    assert (status, read) == ("rejected", 0)
    assert message.startswith("fhir/tddui-cut.json.gz cannot be read whole (")
    assert _log(bad, "fhir/tddui-empty.ndjson") == (
        "rejected", 0, 0, 0, "fhir/tddui-empty.ndjson is empty (0 bytes): export it again")


# ---------------------------------------------------------------- the FINESS reader on its own (no pipeline run)

def test_split_array_gives_the_entities_before_a_cut_then_says_it_was_cut(tmp_path):
    from pipelines.ingestion import finess

    for name, content, whole, error in (("cut.json.gz", _cut_gzip(STRUCTURES, 4), 4, EOFError),
                                        ("cut.json", _cut_json(ACTIVITIES, 2), 2, finess.FinessCut)):
        path = tmp_path / name
        path.write_bytes(content)
        got = []
        with pytest.raises(error):
            for element in finess.split_array(path, chunk_size=4096):  # cut across many chunks
                got.append(json.loads(element))
        feed = STRUCTURES if whole == 4 else ACTIVITIES
        assert got == feed["pmej"][:whole]
    whole_file = tmp_path / "whole.json.gz"
    whole_file.write_bytes(gzip.compress(json.dumps(STRUCTURES).encode()))
    assert [json.loads(e) for e in finess.split_array(whole_file, chunk_size=4096)] == STRUCTURES["pmej"]


def test_a_finess_file_no_table_takes_is_named_with_its_reason(tmp_path):
    from pipelines.ingestion import finess

    empty, blank, cut, other = (tmp_path / n for n in ("finess-activites.json", "finess-structures.json",
                                                       "finess-structures.json.gz", "finess-notes.csv"))
    empty.write_bytes(b"")
    blank.write_bytes(b"\n \n")
    cut.write_bytes(gzip.compress(json.dumps(STRUCTURES).encode())[:20])
    other.write_bytes(b"a,b\n1,2\n")
    assert [finess.classify(p) for p in (empty, blank, cut, other)] == [None] * 4
    assert [finess.guess_table(p) for p in (empty, blank, cut, other)] == [
        "finess_capacities", "finess_structures", "finess_structures", None]
    assert finess.unclassified_reason(empty, "finess/x.json") == (
        "finess/x.json is empty (0 bytes): an interrupted download? Download it again from data.gouv.fr")
    assert finess.unclassified_reason(blank, "finess/x.json") == (
        "finess/x.json holds no data: download it again from data.gouv.fr")
    assert finess.unclassified_reason(cut, "finess/x.json.gz") == (
        "finess/x.json.gz cannot be read (the compressed file ends before its end marker: it was cut short): "
        "download it again from data.gouv.fr")
    assert finess.unclassified_reason(other, "finess/x.csv").startswith("finess/x.csv is neither FINESS feed")
