"""The FINESS directory as an input: the landing folder's `finess/` holds the ANS open-data feed as downloaded
(the structures file and the activities file, JSON, gzipped or not) or the flat CSV extracts (one row per
establishment, one row per capacity line).

A national JSON feed is one object of hundreds of MB whose `pmej` array holds the legal entities with their
establishments (`ege`) and, in the activities file, their authorised activities and capacities. The array is
cut into one line per entity (`split_array`, which keeps one entity in memory at a time) and DuckDB's JSON
reader reads those lines and unnests them in SQL. Every file gives the rows of one raw table,
`raw.finess_structures` or `raw.finess_capacities` (all text, as given; dbt's staging types them), stored
like the other landing tables: one Parquet row file per landing file, not read again while unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.ingestion.readers import open_bytes

FOLDER = "finess"

STRUCTURE_COLUMNS = ("finess_et", "finess_ej", "name", "legal_name", "category_code", "tariff_mode", "state",
                     "opened_on", "closed_on", "commune_code", "postcode", "city", "longitude", "latitude", "siret")
CAPACITY_COLUMNS = ("finess_et", "activity_id", "activity_state", "nature", "activity_code", "operating_mode",
                    "public", "start_date", "end_date", "capacity_status", "quantity", "unit", "funding_mode",
                    "habilitation", "housing_type", "gender")
TABLES = {"finess_structures": STRUCTURE_COLUMNS, "finess_capacities": CAPACITY_COLUMNS}

# the flat extracts' headers -> our columns
CSV_HEADERS = {
    "finess_structures": {"num_finess_et": "finess_et", "num_finess_ej": "finess_ej", "nom_et": "name",
                          "raison_sociale_ej": "legal_name", "categorie": "category_code",
                          "mode_fixation_tarifaire": "tariff_mode", "etat": "state", "date_ouverture": "opened_on",
                          "date_fermeture": "closed_on", "cog_commune": "commune_code", "code_postal": "postcode",
                          "commune": "city", "longitude": "longitude", "latitude": "latitude", "siret": "siret"},
    "finess_capacities": {"num_finess_et": "finess_et", "activite_id": "activity_id",
                          "etat_activite": "activity_state", "nature": "nature",
                          "activite_sociale_regulee": "activity_code", "mode_fonctionnement": "operating_mode",
                          "public": "public", "date_debut": "start_date", "date_fin": "end_date",
                          "statut_capacite": "capacity_status", "nombre": "quantity", "unite": "unit"},
}


class FinessProblem(Exception):
    """A FINESS file that cannot be read; the message says why, in one sentence."""


def _head(path: Path, size: int = 4096) -> bytes:
    with open_bytes(path) as handle:
        return handle.read(size)


def classify(path: Path) -> str | None:
    """finess_structures, finess_capacities, or None for a file that is neither, from its first bytes."""
    head = _head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        text = head.decode("utf-8", errors="ignore")
        if "informationsGeneralesPMEJ" in text or "informationsGeneralesEGE" in text:
            return "finess_structures"
        if "activitesExercees" in text or "activitesAutorisees" in text or '"numFiness"' in text:
            return "finess_capacities"
        return None
    first = head.decode("utf-8", errors="ignore").splitlines()[0].lower() if head else ""
    columns = {c.strip().strip('"') for c in re.split(r"[;,\t]", first)}
    if "num_finess_et" in columns and "statut_capacite" in columns:
        return "finess_capacities"
    if "num_finess_et" in columns and "categorie" in columns:
        return "finess_structures"
    return None


# a whole JSON string, or one structural character; a lone `"` is a string the buffer cuts short
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}"]', re.S)


def split_array(path: Path, key: bytes = b"pmej", chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The elements of the array `key` of a JSON file, one at a time, as JSON text. The file is read in chunks
    (a national feed is never held whole); strings are skipped whole, so a bracket inside one is text."""
    opening = re.compile(rb'"' + re.escape(key) + rb'"\s*:\s*\[')
    with open_bytes(path) as handle:
        buffer = handle.read(chunk_size)
        while True:
            found = opening.search(buffer)
            if found:
                buffer = buffer[found.end():]
                break
            chunk = handle.read(chunk_size)
            if not chunk:
                return
            buffer = buffer[-(len(key) + 64):] + chunk
        depth, start, position = 0, None, 0
        while True:
            position_after = len(buffer)
            for match in _TOKEN.finditer(buffer, position):
                token = match.group()
                if len(token) > 1:
                    continue  # a whole string
                if token == b'"':  # a string the buffer cuts short: read on from its start
                    position_after = match.start()
                    break
                if token in (b"[", b"{"):
                    if depth == 0:
                        start = match.start()
                    depth += 1
                elif depth == 0:
                    return  # the `]` that closes the array
                else:
                    depth -= 1
                    if depth == 0:
                        yield buffer[start:match.end()]
                        start = None
            cut = start if start is not None else position_after
            buffer, position = buffer[cut:], position_after - cut
            if start is not None:
                start = 0
            chunk = handle.read(chunk_size)
            if not chunk:
                return
            buffer += chunk


STRUCTURES_SQL = """
with pm as (
    -- the legal entity's own fields first: an establishment row must not carry its whole entity
    select
        json_extract_string(json, '$.informationsGeneralesPMEJ.numFinessPm') as finess_ej,
        coalesce(json_extract_string(json, '$.informationsGeneralesPMEJ.denominationPm'),
                 json_extract_string(json, '$.informationsGeneralesPMEJ.denominationLonguePmSmsse')) as legal_name,
        json_extract(json, '$.ege[*]') as eges
    from read_ndjson_objects({lines})
),
ege as (
    select finess_ej, legal_name, unnest(eges) as ege from pm
)
select
    json_extract_string(ege, '$.informationsGeneralesEGE.numFinessEge') as finess_et,
    finess_ej,
    coalesce(json_extract_string(ege, '$.informationsGeneralesEGE.nomEgeLong'),
             json_extract_string(ege, '$.informationsGeneralesEGE.nomEgeCourt')) as name,
    legal_name,
    json_extract_string(ege, '$.categorieentiteGeographiqueExercice') as category_code,
    json_extract_string(ege, '$.modefixationtarifaire') as tariff_mode,
    json_extract_string(ege, '$.etatObjet') as state,
    json_extract_string(ege, '$.informationsGeneralesEGE.dateOuverture') as opened_on,
    json_extract_string(ege, '$.informationsGeneralesEGE.dateFermeture') as closed_on,
    json_extract_string(ege, '$.adresse[0].cogCommune') as commune_code,
    json_extract_string(ege, '$.adresse[0].codePostal') as postcode,
    json_extract_string(ege, '$.adresse[0].ligneAcheminement') as city,
    json_extract_string(ege, '$.adresse[0].coordonneesGeographique.coordonneeX') as longitude,
    json_extract_string(ege, '$.adresse[0].coordonneesGeographique.coordonneeY') as latitude,
    json_extract_string(ege, '$.informationsGeneralesEGE.siret') as siret
from ege
"""

CAPACITIES_SQL = """
with ege as (
    select unnest(json_extract(json, '$.ege[*]')) as ege from read_ndjson_objects({lines})
),
activity as (
    select json_extract_string(ege, '$.numFinessEge') as finess_et,
           unnest(json_extract(ege, '$.activitesExercees[*]')) as act
    from ege
),
capacity as (
    select finess_et, act,
           -- an activity without any capacity line keeps one row (its capacity unknown), as the flat extract does
           unnest(case when coalesce(json_array_length(act, '$.capacite'), 0) = 0 then [cast(null as json)]
                       else json_extract(act, '$.capacite[*]') end) as cap
    from activity
)
select
    finess_et,
    json_extract_string(act, '$.caracteristiquesGeneriques.activiteAeId') as activity_id,
    json_extract_string(act, '$.caracteristiquesGeneriques.etatObjet') as activity_state,
    json_extract_string(act, '$.nature.codeNature') as nature,
    json_extract_string(act, '$.nature.caracteristiquesSpecifiques.typeActiviteAMSR.activiteSocialeRegulee')
        as activity_code,
    json_extract_string(act, '$.nature.caracteristiquesSpecifiques.typeActiviteAMSR.modeFonctionnement')
        as operating_mode,
    json_extract_string(act, '$.nature.caracteristiquesSpecifiques.typeActiviteAMSR.public') as public,
    json_extract_string(act, '$.caracteristiquesGeneriques.dateDebutActiviteAutorisee') as start_date,
    json_extract_string(act, '$.caracteristiquesGeneriques.dateFinActiviteAutorisee') as end_date,
    json_extract_string(cap, '$.statutCapacite') as capacity_status,
    json_extract_string(cap, '$.nombre') as quantity,
    json_extract_string(cap, '$.uniteMesureCapacite') as unit,
    -- a line with one of these is a part of the capacity (by funding, habilitation, housing, gender), not its total
    json_extract_string(cap, '$.modeFinancement') as funding_mode,
    json_extract_string(cap, '$.habilitation') as habilitation,
    json_extract_string(cap, '$.typeLogement') as housing_type,
    json_extract_string(cap, '$.genre') as gender
from capacity
"""


def read_file(con: duckdb.DuckDBPyConnection, path: Path, table: str, rel: str, work: Path) -> str:
    """Load one FINESS file into a temporary table of `table`'s columns plus _file and _line; returns its name."""
    columns = TABLES[table]
    target = f"finess_{abs(hash((rel, table))) % 10**8}"
    if is_json(path):
        lines = work / (target + ".ndjson")
        count = 0
        with lines.open("wb") as out:
            for element in split_array(path):
                out.write(element.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n")
                count += 1
        if count == 0:
            raise FinessProblem(f"no `pmej` array in {rel}: not a FINESS open-data feed")
        sql = (STRUCTURES_SQL if table == "finess_structures" else CAPACITIES_SQL).format(
            lines="'" + str(lines).replace("'", "''") + "'")
        try:
            con.execute(f"create or replace temp table {target} as select {', '.join(columns)}, "
                        f"'{rel.replace(chr(39), chr(39) * 2)}' as _file, "
                        f"cast(row_number() over () as bigint) as _line from ({sql})")
        except duckdb.Error as exc:
            raise FinessProblem(f"{rel} is not a readable FINESS JSON feed: {str(exc).splitlines()[0]}") from None
        lines.unlink(missing_ok=True)
        return target
    # a flat CSV extract: DuckDB's CSV sniffer, everything as text
    names = CSV_HEADERS[table]
    try:
        con.execute(f"create or replace temp table {target}_csv as select * from read_csv("
                    f"'{str(path).replace(chr(39), chr(39) * 2)}', all_varchar = true, header = true)")
    except duckdb.Error as exc:
        raise FinessProblem(f"{rel} is not a readable CSV file: {str(exc).splitlines()[0]}") from None
    given = {r[0].strip().lower(): r[0] for r in con.execute(f"describe {target}_csv").fetchall()}
    select = ", ".join(
        (f'nullif(trim("{given[source]}"), \'\')' if source in given else "cast(null as varchar)") + f" as {column}"
        for column in columns for source in [next((s for s, c in names.items() if c == column), "")])
    con.execute(f"create or replace temp table {target} as select {select}, "
                f"'{rel.replace(chr(39), chr(39) * 2)}' as _file, "
                f"cast(row_number() over () + 1 as bigint) as _line from {target}_csv")
    con.execute(f"drop table {target}_csv")
    return target


def is_json(path: Path) -> bool:
    return _head(path, 64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
