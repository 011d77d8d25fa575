"""What the child processes of a run share: each ends as soon as the run's process is gone.

A run starts Python processes of its own (dbt as `serafin-dbt`, pipelines/dbt_child.py; the data-quality suite,
pipelines/data_quality/). If the run is killed, an ordinary child would go on writing to the build warehouse;
these watch their parent and exit when it is gone (they are then reparented)."""

from __future__ import annotations

import os
import threading
import time


def end_with_parent(parent: int | None = None) -> None:
    """Exit this process (status 143, as a process ended by SIGTERM) within a quarter of a second of its parent's
    end. `parent`: the process id that started this one, when known (read here, it would be the init process's
    already if the parent ended while this one started)."""
    parent = parent or os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.25)
            if os.getppid() != parent:
                os._exit(143)

    threading.Thread(target=watch, daemon=True, name="serafin-parent-watch").start()


def connect(path: str | None):
    """A connection to the Unix socket `path` of a process started ahead (a warm dbt, a data-quality worker), or None
    when there is none listening there (the caller then does the work itself)."""
    import socket

    if not path:
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(path)
    except OSError:
        client.close()
        return None
    return client
