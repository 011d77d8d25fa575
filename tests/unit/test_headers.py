"""Which header means which column (pipelines/ingestion/schema.py) and the CSV dialect (readers.sniff_delimiter):
pure functions on strings a French export writes."""

from __future__ import annotations

import pytest

from pipelines.ingestion.readers import sniff_delimiter
from pipelines.ingestion.schema import TABLES, header_key, header_score, looks_personal


@pytest.mark.parametrize("header", ["Date d’entrée", "date_entree", "DATE  ENTREE", "Date de l'entrée", "\ufeffdate-entrée"])
def test_header_spellings_fold_to_one_key(header):
    assert header_key(header) == "dateentree"


@pytest.mark.parametrize(("header", "personal"), [
    ("Nom", True), ("Prénom", True), ("NIR", True), ("nom_naissance", True), ("INS", True),
    ("Date de naissance", False), ("Code prestation", False), ("Intervenant", False),
])
def test_headers_that_hold_personal_data(header, personal):
    assert looks_personal(header) is personal


def test_french_aliases_reach_the_canonical_column():
    stays = TABLES["stays"]
    aliases = {header_key(a): c.name for c in stays.columns for a in (c.name, *c.aliases)}
    assert aliases[header_key("Date d'entrée")] == "start_date"
    assert aliases[header_key("N° FINESS")] == "finess_et"


def test_the_header_row_that_names_most_columns_wins():
    score = header_score(TABLES["activity"])
    title = ["Export du logiciel", "", ""]
    header = ["Usager", "N° FINESS", "Intervenant", "Code prestation", "Début", "Durée"]
    assert score(header) > score(title) == 0
    # required columns count double: event_id, finess_et, professional_id, prestation_code, started_at are required
    assert score(["finess", "intervenant"]) == 4
    assert score(["duree"]) == 1


@pytest.mark.parametrize(("line", "delimiter"), [
    ("a;b;c\n", ";"), ("a\tb\tc\n", "\t"), ("a,b,c\n", ","), ("a;b,c;d\n", ";"), ("single\n", ","), ("a;b,c\n", ","),
])
def test_delimiter_of_the_header_line(tmp_path, line, delimiter):
    path = tmp_path / "f.csv"
    path.write_text(line + "1;2,3\n", encoding="utf-8")
    assert sniff_delimiter(path) == delimiter
