"""When a run may be incremental (README "Incremental runs"), and what it records for the next one.

A monthly refresh adds activity files and changes nothing else. Such a run starts from a copy of the last
warehouse (pipelines/run.py) and dbt's incremental models do the rest: int_activity__checked validates the new
rows with the old rows of the events they touch, and the models built by year rebuild the years those rows
fall in (dbt_project/macros/incremental.sql). Anything else, a changed or removed landing file, a landing
file of another table, another dbt project or parameter file, other run options (years, configuration files)
or another engine, makes a full build (`--full-refresh`): the decision is taken on facts, never guessed.

What a build was made from is kept in the warehouse beside the ingestion bookkeeping:
`raw.build_state` (the project's and the run options' digests, the engine) and `raw.built_files` (the landed
files as they were). A run removes both before dbt starts and writes them back only when dbt succeeded, so a
build that failed half-way is never taken as a base.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines import settings

# the landing tables whose new files an incremental run can take (the others change costs or verdicts wholesale)
APPENDABLE = ("activity",)
# the dbt sources every run changes: the ingestion bookkeeping (each file's outcome, the rejected rows)
BOOKKEEPING = ("ingested_files", "row_rejections")
_FILE_COLUMNS = "file, source_table, sha256, key_fingerprint, ingest_version, status"


def project_digest() -> str:
    """A digest of every file of the dbt project and its seeds (settings.project_files)."""
    digest = hashlib.sha256()
    for path in settings.project_files():
        digest.update(str(path.relative_to(settings.ROOT)).encode("utf-8") + b"\x00")
        digest.update(path.read_bytes() + b"\x00")
    return digest.hexdigest()


def options_digest(dbt_vars: dict[str, Any]) -> str:
    """A digest of the run's dbt vars except the warehouse path (years, configuration files)."""
    options = {k: v for k, v in dbt_vars.items() if k != "warehouse"}
    return hashlib.sha256(json.dumps(options, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Plan:
    incremental: bool
    reason: str  # one sentence: why a full build, or which files an incremental run adds
    # an incremental run: the dbt sources (raw tables) whose rows changed since the last build
    changed: tuple[str, ...] = field(default=(), compare=False)


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The warehouse's last build as `record` wrote it (project, options, engine, catalog, incremental, reason), if
    any."""
    try:
        cursor = con.execute("select project, options, engine, catalog, incremental, reason from raw.build_state")
    except (duckdb.CatalogException, duckdb.BinderException):  # none, or one written by an earlier version
        return None
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None


def last_project(con: duckdb.DuckDBPyConnection) -> str | None:
    """The project digest of the warehouse's last build, if it recorded one."""
    state = _state(con)
    return state["project"] if state else None


def last_build(con: duckdb.DuckDBPyConnection) -> Plan | None:
    """How the warehouse's last build was made (incremental or full, and why), if it recorded it."""
    state = _state(con)
    return Plan(bool(state["incremental"]), state["reason"]) if state else None


def plan(con: duckdb.DuckDBPyConnection, options: str, engine: str) -> Plan:
    """Whether this build may be incremental, given the warehouse it starts from and the files now landed."""
    state = _state(con)
    if engine != "duckdb":
        return Plan(False, f"the {engine} engine builds every table")
    if state is None:
        return Plan(False, "no previous build of this dbt project recorded in this warehouse")
    if state["engine"] != engine:
        return Plan(False, f"the last build ran on {state['engine']}")
    catalog = con.execute("select current_database()").fetchone()[0]
    if state["catalog"] != catalog:  # a copy: its raw views read the row files of the original's folder
        return Plan(False, f"the warehouse file was renamed since the last build (it was {state['catalog']}.duckdb)")
    if state["project"] != project_digest():
        return Plan(False, "the dbt project or a parameter file changed since the last build")
    if state["options"] != options:
        return Plan(False, "the run options (years, configuration files) changed since the last build")
    built = {r[0]: r for r in con.execute(f"select {_FILE_COLUMNS} from raw.built_files").fetchall()}
    now = {r[0]: r for r in con.execute(f"select {_FILE_COLUMNS} from raw.ingested_files").fetchall()}
    for file, row in built.items():
        if file not in now:
            return Plan(False, f"{file} was removed from the landing folder")
        if now[file] != row:
            return Plan(False, f"{file} changed")
    added = sorted(f for f in now if f not in built)
    other = [f for f in added if now[f][1] not in APPENDABLE]
    if other:
        return Plan(False, f"{other[0]} is a new {now[other[0]][1]} file")
    return Plan(True, f"{len(added)} new activity file(s)" + (f": {', '.join(added)}" if added else ""),
                changed=BOOKKEEPING + tuple(sorted({now[f][1] for f in added})))


def unchanged_nodes(manifest: dict[str, Any], changed: tuple[str, ...]) -> list[str]:
    """The seeds and models an incremental run leaves as the last build made them: those that read, directly or
    not, none of the `changed` sources (Plan.changed: the ingestion bookkeeping, and the activity rows when a file
    was added). Their inputs are the same files and the same project, so their tables in the copied warehouse are
    already what a full build would make (no model reads the clock). dbt skips them, and the tests that read only
    them."""
    children = manifest["child_map"]
    reached: set[str] = set()
    stack = [uid for uid, source in manifest["sources"].items()
             if source["source_name"] == "raw" and source["name"] in changed]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in reached:
                reached.add(child)
                stack.append(child)
    return sorted(node["name"] for uid, node in manifest["nodes"].items()
                  if node["resource_type"] in ("seed", "model") and uid not in reached)


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Before dbt starts: this warehouse is no longer a finished build."""
    con.execute("drop table if exists raw.build_state")
    con.execute("drop table if exists raw.built_files")


def record(con: duckdb.DuckDBPyConnection, options: str, engine: str, decision: Plan) -> None:
    """After dbt succeeded: what this build was made from, and how it was built."""
    forget(con)
    con.execute("create table raw.build_state as select ? as project, ? as options, ? as engine, "
                "current_database() as catalog, current_timestamp as built_at, ? as incremental, ? as reason",
                [project_digest(), options, engine, decision.incremental, decision.reason])
    con.execute(f"create table raw.built_files as select {_FILE_COLUMNS} from raw.ingested_files")
