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
import zlib
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


class FinessCut(FinessProblem):
    """A FINESS JSON feed that ends before its `pmej` array is closed (an interrupted download)."""


# what reading a damaged file raises: a gzip cut short (EOFError), a corrupt one (BadGzipFile is an OSError,
# zlib.error is not)
UNREADABLE = (EOFError, OSError, zlib.error)


def _head(path: Path, size: int = 4096) -> bytes:
    with open_bytes(path) as handle:
        return handle.read(size)


def classify(path: Path) -> str | None:
    """finess_structures, finess_capacities, or None for a file that is neither, from its first bytes (None too
    for an empty file or one whose first bytes cannot be read: `unclassified_reason` says which)."""
    try:
        head = _head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    except UNREADABLE:
        return None
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


def guess_table(path: Path) -> str | None:
    """The table a FINESS file that could not be classified was meant for, from its name (the ANS names its
    downloads `finess-structures-…` and `finess-activites-…`), so that its quarantine line names it."""
    name = path.name.lower()
    if "activit" in name or "capacit" in name:
        return "finess_capacities"
    if "structure" in name or "etablissement" in name:
        return "finess_structures"
    return None


def unclassified_reason(path: Path, rel: str) -> str:
    """One sentence on a file of the FINESS folder that `classify` could not place."""
    if path.stat().st_size == 0:
        return f"{rel} is empty (0 bytes): an interrupted download? Download it again from data.gouv.fr"
    try:
        head = _head(path)
    except UNREADABLE as exc:
        return f"{rel} cannot be read ({reading_problem(exc)}): download it again from data.gouv.fr"
    if not head.strip():
        return f"{rel} holds no data: download it again from data.gouv.fr"
    return (f"{rel} is neither FINESS feed (structures or activities JSON) nor a flat FINESS extract (a CSV with "
            "num_finess_et and categorie or statut_capacite columns)")


def reading_problem(exc: BaseException) -> str:
    """A reading error in words: a gzip cut short says so."""
    if isinstance(exc, EOFError):
        return "the compressed file ends before its end marker: it was cut short"
    if isinstance(exc, FinessCut):
        return str(exc)
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}"


# a whole JSON string, or one structural character; a lone `"` is a string the buffer cuts short
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}"]', re.S)


class _Chunks:
    """Chunks of a stream that keep what was read before a reading error: the error comes on the next read. (A
    buffered read of 1 MB drops the bytes it had decompressed when the gzip turns out cut short before 1 MB.)"""

    def __init__(self, stream):
        # a gzip file's own read1 (one decompression step); the buffer around it would read until the size asked
        self.read1 = getattr(getattr(stream, "raw", None), "read1", None) or stream.read1
        self.problem: BaseException | None = None

    def read(self, size: int) -> bytes:
        if self.problem is not None:
            raise self.problem
        parts, got = [], 0
        while got < size:
            try:
                part = self.read1(size - got)
            except UNREADABLE as exc:
                self.problem = exc
                break
            if not part:
                break
            parts.append(part)
            got += len(part)
        if not parts and self.problem is not None:
            raise self.problem
        return b"".join(parts)


def split_array(path: Path, key: bytes = b"pmej", chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The elements of the array `key` of a JSON file, one at a time, as JSON text. The file is read in chunks
    (a national feed is never held whole); strings are skipped whole, so a bracket inside one is text."""
    opening = re.compile(rb'"' + re.escape(key) + rb'"\s*:\s*\[')
    with open_bytes(path) as stream:
        handle = _Chunks(stream)
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
            if not chunk:  # the end of the file inside the array: the feed was cut short
                raise FinessCut("the file ends inside its `pmej` array: it was cut short")
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


def read_file(con: duckdb.DuckDBPyConnection, path: Path, table: str, rel: str, work: Path,
              cut: list[str] | None = None) -> str:
    """Load one FINESS file into a temporary table of `table`'s columns plus _file and _line; returns its name.
    A JSON feed cut short (an interrupted download, a gzip without its end) gives the legal entities read whole
    before the cut, and a sentence saying so is added to `cut`; one cut before its first entity is a
    FinessProblem, as is any file that cannot be read."""
    columns = TABLES[table]
    target = f"finess_{abs(hash((rel, table))) % 10**8}"
    if is_json(path):
        lines = work / (target + ".ndjson")
        count = 0
        problem = None
        with lines.open("wb") as out:
            try:
                for element in split_array(path):
                    out.write(element.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n")
                    count += 1
            except (FinessCut, *UNREADABLE) as exc:
                problem = reading_problem(exc)
        if problem and count == 0:
            lines.unlink(missing_ok=True)
            raise FinessProblem(f"{rel} cannot be read ({problem}): no legal entity could be read whole; "
                                "download it again from data.gouv.fr")
        if count == 0:
            lines.unlink(missing_ok=True)
            raise FinessProblem(f"no `pmej` array in {rel}: not a FINESS open-data feed")
        if problem and cut is not None:
            cut.append(f"{rel} is incomplete ({problem}): the {count} legal entities before the cut are loaded, "
                       "the rest of the file is missing; download it again from data.gouv.fr")
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
    try:
        return _head(path, 64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    except UNREADABLE:
        return False
