"""dbt's echoed log goes to the `serafin.dbt` logger at debug level (pipelines/defs/dbt.py `_DebugLog`); a handler
that prints to stdout while stdout is that stream must not send the line round again."""

from __future__ import annotations

import contextlib
import io
import logging
import sys

from pipelines.defs.dbt import _DebugLog


def test_a_console_handler_on_stdout_does_not_loop(monkeypatch):
    real = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", real)
    logger = logging.getLogger("serafin.dbt")
    class Stdout(logging.StreamHandler):  # as rich's handler: sys.stdout looked up at each line
        def emit(self, record):
            sys.stdout.write(self.format(record) + "\n")

    console = Stdout()
    logger.addHandler(console)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the root's handlers (a CLI run earlier in this process adds its console) stay out
    try:
        with contextlib.redirect_stdout(_DebugLog()):
            print("12:00:01  1 of 3 START sql table model core.activity")
            print("")
            print("12:00:02  1 of 3 OK created sql table model core.activity")
    finally:
        logger.removeHandler(console)
        logger.setLevel(level)
        logger.propagate = propagate
    assert real.getvalue().splitlines() == ["12:00:01  1 of 3 START sql table model core.activity",
                                            "12:00:02  1 of 3 OK created sql table model core.activity"]
