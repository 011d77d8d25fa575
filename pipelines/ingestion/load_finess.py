"""The loader of the FINESS feed (`finess/`, read by pipelines/ingestion/finess.py): each file → its Parquet row file,
like any landing file. FINESS holds no personal data: nothing to pseudonymise."""

from __future__ import annotations

import logging
import os

from pipelines.ingestion import finess, store
from pipelines.ingestion.load_context import LandingFile, LoadContext, quarantine_whole
from pipelines.ingestion.schema import ROW_FILE

log = logging.getLogger("serafin.ingestion")


def land(ctx: LoadContext, file: LandingFile) -> store.FileOutcome:
    """One file of the FINESS feed → its row file of `raw.<file.table>`; a JSON feed cut short loads the entities
    before the cut and says so; a file that cannot be read is rejected whole."""
    con, table, rel, sha = ctx.con, file.table, file.rel, file.sha
    target = store.row_file(ctx.raw, table, rel, sha, ctx.fingerprint)
    pending = target.with_name(target.name + ".tmp")
    cut: list[str] = []  # a JSON feed cut short: the entities before the cut are loaded, the sentence says so
    try:
        tmp = finess.read_file(con, file.path, table, rel, ctx.workdir, cut)
    except finess.FinessProblem as exc:
        outcome = quarantine_whole(ctx, table, rel, sha, str(exc))
        log.error("%s rejected whole: %s", rel, exc)
        return outcome
    try:
        rows = con.execute(f"select count(*) from {tmp}").fetchone()[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy {tmp} to '{str(pending).replace(chr(39), chr(39) * 2)}' ({ROW_FILE})")
        fmt = "json" if finess.is_json(file.path) else "csv"
        with store.transaction(con):
            store.forget(con, ctx.raw, rel)
            for reason in cut:  # the entity the cut went through: one row read and quarantined
                con.execute("insert into raw.row_rejections values (?, ?, null, null, null, ?)", [table, rel, reason])
            store.record(con, store.IngestedFile(rel, table, sha, rows + len(cut), "loaded", " ".join(cut),
                                                 ctx.fingerprint, format=fmt))
        os.replace(pending, target)
        for reason in cut:
            log.error(reason)
        log.info("%s → raw.%s: %d rows read (FINESS %s)", rel, table, rows, fmt)
        return store.FileOutcome(rel, table, "loaded", rows + len(cut), " ".join(cut))
    finally:
        con.execute(f"drop table if exists {tmp}")
        pending.unlink(missing_ok=True)
