"""`serafin-dbt`: dbt's own command line, which ends when the process that started it ends.

dagster-dbt starts dbt as a child process. If `serafin` is killed, an ordinary `dbt build` would go on
writing; this entry point watches its parent and exits as soon as it is gone (pipelines/children.py)."""

from __future__ import annotations

import os
import sys

from pipelines.children import end_with_parent


def main() -> int:
    end_with_parent()
    # one dbt.log, never rolled over at dbt's default 10 MB: a run keeps the log of a failed build
    # (FILE.failed-dbt.log) and reads the nodes a crash stopped from it; a region's build logs tens of MB, and a
    # rolled-over log would start half-way through the build
    os.environ.setdefault("DBT_LOG_FILE_MAX_BYTES", "0")
    from dbt.cli.main import cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
