"""dbt in this process on the project as parsed once: what `serafin scenario` builds with (pipelines/scenarios.py).

A run hands dbt its vars on the command line, and dbt parses the whole project again whenever they change (6 s on
2 cores): the var `scenarios` changes with every scenario file. But no ref, config or tag of the project depends on
a var: the vars only change the SQL each model compiles to, and dbt compiles each node again from its Jinja when it
runs it, with the vars of the invocation. So the project is parsed once per version of its files, without vars,
into the cache folder (settings.dbt_cache_dir(): `manifest.json` and dbt's own `partial_parse.msgpack`, as
pipelines/defs/project.py's `prepare_manifest` leaves them), and each build loads that parse and hands it to
dbt's Python entry point (`dbtRunner(manifest=...)`), which then parses nothing. Dagster and dagster-dbt are not
imported either: the whole re-run is dbt's import, the models and their tests.

The parsed project names the warehouse's catalog as the profile's default file (`warehouse.duckdb`); the nodes are
given the catalog of the file being built (DuckDB names it after the file's stem) before dbt runs."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import sys
import threading
from pathlib import Path

from pipelines import settings

PARSE_FILE = "partial_parse.msgpack"  # dbt's name for the parsed project it keeps in its target folder


def _parse_into(cache: Path) -> None:
    """`dbt parse` into the cache folder (the project without vars), in this process."""
    from dbt.cli.main import dbtRunner

    settings.quiet_telemetry()
    args = ["parse", "--quiet", "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir",
            str(settings.DBT_PROJECT_DIR), "--target-path", str(cache), "--log-path", str(cache)]
    with contextlib.redirect_stdout(io.StringIO()):
        result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt could not parse the project: {result.exception}")


def _parse_file(cache: Path):
    """The fresh parse of the project (dbt's Manifest): parsed again first when a project file is newer than the
    parse, or another dbt wrote it."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder
    from dbt.version import __version__

    manifest = None
    if not settings.manifest_is_stale(cache / PARSE_FILE):
        manifest = Manifest.from_msgpack((cache / PARSE_FILE).read_bytes(), decoder=extended_mashumuro_decoder)
    if manifest is None or manifest.metadata.dbt_version != __version__:
        _parse_into(cache)
        # dbt leaves its parse file as it was when no file changed since: it is the project's parse all the same
        os.utime(cache / PARSE_FILE)
        manifest = Manifest.from_msgpack((cache / PARSE_FILE).read_bytes(), decoder=extended_mashumuro_decoder)
    return manifest


def _in_catalog(manifest, catalog: str) -> None:
    """The parsed nodes and sources moved to the catalog of the warehouse being built."""
    parsed = next((n.database for n in manifest.nodes.values() if n.resource_type == "model"), None)
    if parsed is None or parsed == catalog:
        return
    for node in [*manifest.nodes.values(), *manifest.sources.values()]:
        if getattr(node, "database", None) == parsed:
            node.database = catalog
            if getattr(node, "relation_name", None):
                node.relation_name = node.relation_name.replace(f'"{parsed}".', f'"{catalog}".', 1)


def parsed_project(catalog: str):
    """The parsed project in the warehouse's catalog, ready to run (its graph built). Kept as a pickle beside dbt's
    parse, one per catalog and dbt version (a pickle loads in half the time of dbt's msgpack, graph included); two
    processes parse one after the other (the lock prepare_manifest takes)."""
    import hashlib
    import pickle

    from dbt.version import __version__

    cache = settings.dbt_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(f"{catalog}\x00{__version__}".encode()).hexdigest()[:12]
    kept = cache / f"scenario-project-{tag}.pickle"
    with (cache / "parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if kept.exists() and not settings.manifest_is_stale(cache / PARSE_FILE) \
                and kept.stat().st_mtime >= (cache / PARSE_FILE).stat().st_mtime:
            return pickle.loads(kept.read_bytes())
        manifest = _parse_file(cache)
        _in_catalog(manifest, catalog)
        manifest.build_parent_and_child_maps()
        manifest.build_flat_graph()
        partial = kept.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, kept)
    return manifest


class Loading:
    """dbt imported and the parsed project loaded in a thread of their own, while the caller copies the warehouse
    (a copy is the kernel's work: the two overlap)."""

    def __init__(self, catalog: str) -> None:
        self._outcome: dict = {}
        self._thread = threading.Thread(target=self._load, args=(catalog,), name="dbt-loading", daemon=True)
        self._thread.start()

    def _load(self, catalog: str) -> None:
        try:
            import dbt.adapters.duckdb
            import dbt.cli.main  # noqa: F401 (what takes the time: the adapter is loaded first thing too)

            self._outcome["manifest"] = parsed_project(catalog)
        except BaseException as exc:  # handed to the caller, in its thread
            self._outcome["error"] = exc

    def manifest(self):
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["manifest"]


def run_models(select: list[str], dbt_vars: dict, warehouse: Path, target: Path, verbose: bool = False,
               loading: Loading | None = None) -> bool:
    """`dbt run --select SELECT` on the warehouse file, with these vars and the parsed project: the models only.
    Their data and unit tests ran with the build that made the warehouse, on the same SQL; what changes here is a
    var whose file was checked before (half of the re-run's time went to them). dbt's log, and its
    run_results.json on a failure, go to `target`. True when every model was built. The DuckDB file is closed
    when it returns."""
    import json

    manifest = (loading or Loading(Path(warehouse).stem)).manifest()  # first: dbt is imported by then
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner

    settings.quiet_telemetry()
    args = ["run", "--select", *select,
            "--vars", json.dumps({**dbt_vars, "warehouse": str(warehouse)}, ensure_ascii=False),
            "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(target), "--no-write-json",
            # the relations a model replaces are looked up one by one, not listed schema by schema first
            "--no-populate-cache"]
    try:
        with contextlib.redirect_stdout(sys.stdout if verbose else io.StringIO()):
            result = dbtRunner(manifest=manifest).invoke(args if verbose else [*args, "--quiet"])
        if not result.success and hasattr(result.result, "write"):
            # what went wrong, where a run's failure reasons are read (pipelines/run.py dbt_failure); the manifest
            # (2 MB of JSON, 1 s) is not written
            result.result.write(str(Path(target) / "run_results.json"))
    finally:
        # the build's DuckDB file is closed (its write-ahead log checkpointed into it) before anyone moves it
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
        reset_adapters()
    return bool(result.success)
