"""The landing's hook for `comptabilite/` (pipelines/ingestion/landing.py): one FEC or trial balance → its row files
(raw.ledger and the FEC's audit tables, pipelines/ingestion/fec_sql.py), its quarantined lines and its line in
raw.ingested_files, as one transaction like any landing file.

The split depends on comptabilite.yaml as much as on the file: a file's digest is the sha256 of its bytes and of
comptabilite.yaml's, so a changed split reads the files again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from pipelines import comptabilite
from pipelines.ingestion import fec, readers, store
from pipelines.ingestion.fec_sql import write

log = logging.getLogger("serafin.ingestion")


def _landing_of(path: Path) -> Path:
    """The landing folder of a file of comptabilite/ (the folder above it)."""
    for parent in path.parents:
        if parent.name.lower() == fec.FOLDER:
            return parent.parent
    return path.parent


def sha256_of(path: Path) -> str:
    """The file's sha256 combined with comptabilite.yaml's (none: the file's alone)."""
    config = _landing_of(path) / comptabilite.FILE_NAME
    digest = readers.sha256_of(path)
    if not config.exists():
        return digest
    return hashlib.sha256((digest + readers.sha256_of(config)).encode("ascii")).hexdigest()


def land_file(con, path: Path, rel: str, version: tuple[str, str], workdir: Path, raw: Path):
    """One file of comptabilite/ → its row files; a file that cannot be used is rejected whole with a sentence.
    `version`: the file's digest (`sha256_of`) and the pseudonym key's fingerprint, which name its row files."""
    sha, fingerprint = version
    targets = {t: store.row_file(raw, t, rel, sha, fingerprint) for t in ("ledger", *fec.RAW_TABLES)}
    pending = {t: p.with_name(p.name + ".tmp") for t, p in targets.items()}
    try:
        try:
            config = comptabilite.load(_landing_of(path))
            out = write(con, path, rel, workdir, config, pending)
        except (fec.FecProblem, comptabilite.ComptabiliteProblem) as exc:
            with store.transaction(con):
                store.forget(con, raw, rel)
                con.execute("insert into raw.row_rejections values ('ledger', ?, null, null, null, ?)",
                            [rel, f"whole file rejected: {exc}"])
                store.record(con, store.IngestedFile(rel, fec.SOURCE, sha, 0, "rejected", str(exc), fingerprint))
            log.error("%s rejected whole: %s", rel, exc)
            return store.FileOutcome(rel, fec.SOURCE, "rejected", 0, str(exc))
        with store.transaction(con):
            store.forget(con, raw, rel)
            for line, column, value, reason in out.quarantined:
                con.execute("insert into raw.row_rejections values ('ledger', ?, ?, ?, ?, ?)",
                            [rel, line, column, value, reason])
            store.record(con, store.IngestedFile(rel, fec.SOURCE, sha, out.rows + len(out.quarantined), "loaded",
                                                 out.message, fingerprint, **out.meta))
        for table, target in targets.items():
            os.replace(pending[table], target)
        log.info("%s → raw.ledger: %s", rel, out.message)
        _log_findings(rel, out)
        return store.FileOutcome(rel, fec.SOURCE, "loaded", out.rows + len(out.quarantined))
    finally:
        for p in pending.values():
            p.unlink(missing_ok=True)


def _log_findings(rel: str, out) -> None:
    if out.unassigned:
        log.warning("%s: %s € of class 6 and 7 amounts assigned to no ESMS by comptabilite.yaml "
                    "(audit.fec_unassigned lists them per account)", rel, f"{out.unassigned:,.2f}".replace(",", " "))
    if out.unbalanced:
        log.warning("%s: %d entr%s whose debits and credits differ, loaded all the same (audit.data_warnings)",
                    rel, out.unbalanced, "y" if out.unbalanced == 1 else "ies")
    if out.quarantined:
        log.warning("%s: %d line(s) quarantined (audit.rejected_rows)", rel, len(out.quarantined))
