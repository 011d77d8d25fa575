"""The person ids a landing run has met and their pseudonyms: the state the loaders share so that a CSV file's rows
are pseudonymised by one COPY (pipelines/ingestion/load_delimited.py) and a DSN matricule keeps the pseudonym of the
same professional in `staff` (pipelines/ingestion/load_dsn.py). In memory only, for one run."""

from __future__ import annotations

from pipelines.ingestion import dsn
from pipelines.ingestion.pseudonym import PROFESSIONAL_PREFIX, pseudonymise
from pipelines.ingestion.schema import Table

FIRST = {"persons": 0, "staff": 1, dsn.TABLE: 2}  # the order files are read in: whose ids are met first
SCRATCH = "serafin_scratch"  # an in-memory catalog for the ENUM of the person ids met (not the warehouse)


class PersonsMet:
    """The person ids this run has met and their pseudonyms (HMAC in Python), in memory only, and an ENUM type of
    those ids in the in-memory scratch catalog, through which a COPY gives each row its pseudonym. The persons
    files are read first, so most files name no one new: their rows are written at once, without a read of their
    person ids apart (a second read of the file, about a sixth of the ingestion's time). Once a file names someone
    new (persons files that do not list everyone), each file after it is read the safe way, its ids first: at most
    one file a run is written twice."""

    ENUM = f"{SCRATCH}.persons_met"
    # one row, the pseudonyms in the ENUM's order: read by a scalar subquery, evaluated once. The same list given
    # as a query parameter is a constant DuckDB copies into every vector of 2,048 rows it reads: with 60,000
    # persons, most of the time of a region's ingestion (1.85 times the bare read)
    LIST = f"{SCRATCH}.persons_met_pseudonyms"
    NOT_MET = "?"  # never a pseudonym ('P' and hexadecimal digits)

    def __init__(self, key: bytes):
        self.key = key
        self.by_id: dict[str, str] = {}
        self._size = 0  # how many ids the ENUM holds
        self.from_persons = False  # a persons file was read
        self.missed = False  # a file named someone not met before it

    @property
    def pseudonyms(self) -> bool:
        return bool(self.by_id)

    def speculate(self, table: Table) -> bool:
        """Whether a file of `table` is first written with the ids met so far. The files whose ids are met first
        (persons, staff: FIRST) are read the safe way, their ids first, without counting as a file that named
        someone new."""
        return FIRST.get(table.name) is None and self.from_persons and not self.missed and self.pseudonyms

    def professional(self, original: str) -> str:
        """A professional id met in a file read by Python (a DSN matricule): its pseudonym, the id met."""
        original = original.strip()
        if original not in self.by_id:
            self.by_id[original] = pseudonymise(self.key, original)
        return PROFESSIONAL_PREFIX + self.by_id[original][1:]

    def add(self, originals: list[str], table: Table) -> None:
        self.from_persons = self.from_persons or table.name == "persons"
        for original in originals:
            if original not in self.by_id:
                self.by_id[original] = pseudonymise(self.key, original)

    def prepare(self, con) -> None:
        """The ENUM of the ids met and the list of their pseudonyms, made again when ids were added."""
        if self._size != len(self.by_id):
            con.execute(f"attach if not exists ':memory:' as {SCRATCH}")
            con.execute(f"drop type if exists {self.ENUM}")
            con.execute(f"create type {self.ENUM} as enum (select unnest($1::varchar[]))", [list(self.by_id)])
            ordered = con.execute(f"select enum_range(null::{self.ENUM})").fetchone()[0]
            con.execute(f"create or replace table {self.LIST} as select $1::varchar[] as pseudonyms",
                        [[self.by_id[original] for original in ordered]])
            self._size = len(self.by_id)
