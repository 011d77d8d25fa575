"""`serafin-dbt`: dbt's own command line, which ends when the process that started it ends.

dagster-dbt starts dbt as a child process. If `serafin` is killed, an ordinary `dbt build` would go on
writing; this entry point watches its parent and exits as soon as it is gone (it is reparented)."""

from __future__ import annotations

import os
import sys
import threading
import time


def _watch(parent: int) -> None:
    while True:
        time.sleep(0.25)
        if os.getppid() != parent:
            os._exit(143)  # the status of a process ended by SIGTERM


def main() -> int:
    threading.Thread(target=_watch, args=(os.getppid(),), daemon=True, name="serafin-parent-watch").start()
    # one dbt.log, never rolled over at dbt's default 10 MB: a run keeps the log of a failed build
    # (FILE.failed-dbt.log) and reads the nodes a crash stopped from it; a region's build logs tens of MB, and a
    # rolled-over log would start half-way through the build
    os.environ.setdefault("DBT_LOG_FILE_MAX_BYTES", "0")
    from dbt.cli.main import cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
