"""The loader of the monthly DSN files (`dsn/`, read by pipelines/ingestion/dsn.py): each file → its Parquet row file
of `raw.dsn_contracts`, its unreadable lines quarantined (never an identity field's value). The matricules are met as
professional ids (pipelines/ingestion/persons_met.py), so a professional keeps one pseudonym across staff and DSN."""

from __future__ import annotations

import logging
import os

from pipelines.ingestion import dsn, sql_values, store
from pipelines.ingestion.load_context import LandingFile, LoadContext, Sink, quarantine_whole

log = logging.getLogger("serafin.ingestion")


def land(ctx: LoadContext, file: LandingFile) -> store.FileOutcome:
    """One monthly DSN file → its row file; a file that cannot be read is rejected whole."""
    con, rel, sha = ctx.con, file.rel, file.sha
    target = store.row_file(ctx.raw, dsn.TABLE, rel, sha, ctx.fingerprint)
    pending = target.with_name(target.name + ".tmp")
    try:
        read = dsn.read_file(file.path, ctx.met.professional)
    except (dsn.DsnProblem, OSError, EOFError) as exc:
        outcome = quarantine_whole(ctx, dsn.TABLE, rel, sha, str(exc), format="dsn")
        log.error("%s rejected whole: %s", rel, exc)
        return outcome
    sink = Sink(ctx.con, pending, list(dsn.COLUMNS), rel)
    try:
        for row in read.rows:
            sink.add(row)
        rows = sink.close()
        if read.note:
            log.info("%s: %s", rel, read.note)
        with store.transaction(con):
            store.forget(con, ctx.raw, rel)
            sql_values.insert(con, "raw.row_rejections", [(dsn.TABLE, rel, line, column, value, reason)
                                                          for line, column, value, reason in read.rejections])
            store.record(con, store.IngestedFile(rel, dsn.TABLE, sha, rows + len(read.rejections), "loaded",
                                                 read.note, ctx.fingerprint, format="dsn"))
        os.replace(pending, target)
        log.info("%s → raw.%s: %d contract rows from %d lines (month %s)%s", rel, dsn.TABLE, rows, read.lines,
                 read.month or "not declared",
                 f", {len(read.rejections)} lines quarantined" if read.rejections else "")
        return store.FileOutcome(rel, dsn.TABLE, "loaded", rows)
    finally:
        sink.discard()
        pending.unlink(missing_ok=True)
