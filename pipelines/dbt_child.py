"""`serafin-dbt`: dbt's own command line, which ends when the process that started it ends.

dagster-dbt starts dbt as a child process. If `serafin` is killed, an ordinary `dbt build` would go on
writing; this entry point watches its parent and exits as soon as it is gone (pipelines/children.py).

Started ahead (`serafin-dbt --warm SOCKET RUN_PID`, `Warm`), it imports dbt (about 1 s of CPU, on the core Dagster's own
start leaves idle) and waits on a Unix socket. The `serafin-dbt` that dagster-dbt starts later finds the socket in
its environment (`SERAFIN_DBT_WARM`) and hands its command over: its arguments, environment, working directory and
its standard streams themselves (file descriptors passed over the socket). The warm process forks a child that
runs the command with those streams, as the cold `serafin-dbt` would, and reports how it ended; the `serafin-dbt`
that dagster-dbt watches ends the same way (exit status or signal) and forwards SIGINT and SIGTERM to it. Without a
warm process (a run from the Dagster UI, `dbt parse`), `serafin-dbt` runs dbt itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.children import connect, end_with_parent

WARM_ENV = "SERAFIN_DBT_WARM"
# a warm dbt that takes every command (`serafin-dbt --many SOCKET OWNER_PID`, `Warm(many=True)`), each run by a
# process forked from it, for a process that starts many runs (the test suite): dbt imported once, not once per run
MANY_ENV = "SERAFIN_DBT_WARM_MANY"
# the folder dbt works in: that of the warehouse file, which profiles.yml names by its name only
# (pipelines/dbt_build.py: a parse kept between runs is then valid for any folder)
CWD_ENV = "SERAFIN_DBT_CWD"
RUN_ENV = "SERAFIN_RUN_PID"  # the run's process id, which every serafin-dbt of the run ends with
_STATUS = struct.Struct("!i")  # the dbt child's pid, then its exit code (negative: the signal that ended it)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] in ("--warm", "--many"):
        return _serve(sys.argv[2], int(sys.argv[3]), many=sys.argv[1] == "--many")
    run = int(os.environ.pop(RUN_ENV, "0")) or None
    end_with_parent(run)
    folder = os.environ.pop(CWD_ENV, None)
    if folder:
        os.chdir(folder)
    warm = os.environ.pop(WARM_ENV, None) or os.environ.get(MANY_ENV)
    if warm:
        ended = _hand_over(warm)
        if ended is not None:
            return ended
    return _dbt()


def _dbt() -> int:
    # one dbt.log, never rolled over at dbt's default 10 MB: a run keeps the log of a failed build
    # (FILE.failed-dbt.log) and reads the nodes a crash stopped from it; a region's build logs tens of MB, and a
    # rolled-over log would start half-way through the build
    os.environ.setdefault("DBT_LOG_FILE_MAX_BYTES", "0")
    # dbt.log at info level: each node's start and result, each warning and error (pipelines/failures.py reads them);
    # DBT_LOG_LEVEL_FILE=debug adds every query's SQL, as dbt's default does
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    skip_events_no_logger_writes()
    from dbt.cli.main import cli

    try:
        return cli()
    except SystemExit as exc:  # click ends dbt's command line so
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def skip_events_no_logger_writes() -> None:
    """dbt builds each event's message (a protobuf, then a JSON line per logger) before its loggers drop what is
    below their level: a build of the demo fires about 9,000 debug events (each query, with its SQL) that neither
    dagster-dbt's stdout (info) nor dbt.log (info) writes, about 15 % of dbt's CPU for nothing. From here on, an
    event below the level of every logger is not built, unless a callback other than dbt's own would read it; what
    every logger writes is unchanged (the events dbt prints at any level, a `print` or `dbt show`, always go through)."""
    try:  # dbt's own names; another dbt without them builds every event, as dbt does
        from dbt_common.events.base_types import EventLevel
        from dbt_common.events.event_manager import EventManager
        from dbt_common.events.logger import PRINT_EVENT_NAMES  # the events dbt prints at any level
    except ImportError:
        return
    if getattr(EventManager.fire_event, "serafin_skips", False):
        return

    ranks = {EventLevel.DEBUG: 10, EventLevel.TEST: 10, EventLevel.INFO: 20, EventLevel.WARN: 30,
             EventLevel.ERROR: 40}
    fire = EventManager.fire_event

    def lowest(manager) -> int:
        if any(getattr(callback, "__name__", "") != "track_behavior_change_warn" for callback in manager.callbacks):
            return 0  # a callback reads every event
        levels = [getattr(logger._python_logger, "level", 0) for logger in manager.loggers]
        return min(levels) if levels else 100

    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if (not force_warn_or_error_handling and type(e).__name__ not in PRINT_EVENT_NAMES
                and ranks.get(level or e.level_tag(), 40) < lowest(self)):
            return None
        return fire(self, e, level, node, force_warn_or_error_handling)

    fire_event.serafin_skips = True
    EventManager.fire_event = fire_event


# ---------------------------------------------------------------- started ahead

class Warm:
    """A `serafin-dbt --warm` process, started ahead of the dbt command of a run (pipelines/run.py). `environ`
    gives the variables the run sets for the command to find it and end with the run; `stop` ends it if no command came."""

    def __init__(self, folder: Path, many: bool = False) -> None:
        path = Path(folder) / "dbt.sock"
        self._private = None
        if len(os.fsencode(path)) > 100:  # a Unix socket's path holds 107 bytes at most
            self._private = tempfile.mkdtemp(prefix="serafin-dbt-")
            path = Path(self._private) / "dbt.sock"
        self.path = path
        from pipelines import settings

        self.process = subprocess.Popen([settings.dbt_executable(), "--many" if many else "--warm", str(path),
                                         str(os.getpid())],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def environ(self) -> dict[str, str]:
        return {WARM_ENV: str(self.path), RUN_ENV: str(os.getpid())}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        Path(self.path).unlink(missing_ok=True)
        if self._private:
            os.rmdir(self._private)


def many_ready() -> bool:
    """Whether a warm dbt taking every command is named (MANY_ENV) and listening: a run then starts none of its own."""
    path = os.environ.get(MANY_ENV)
    return bool(path) and Path(path).exists()


def _serve(path: str, run: int, many: bool = False) -> int:
    """The warm process: dbt imported, one command taken over the socket and run by a forked child. `many`: every
    command, each by a process forked for it, which forks the dbt child and reports how it ended, so that this
    process stays as it was, dbt imported and never run, until the process `run` ends."""
    end_with_parent(run)
    # bound first: a command that comes while dbt is still being imported waits for it, never starts dbt again
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8 if many else 1)
    from dbt.cli.main import cli  # noqa: F401 (what this process is started ahead for)

    if many:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the processes forked per command are reaped by the kernel
    while True:
        conn = _accept_own(server)
        if not many:
            server.close()
            os.unlink(path)
            return _command(conn)
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # this process waits for its dbt child
            os._exit(_command(conn))
        conn.close()


def _accept_own(server: socket.socket) -> socket.socket:
    """The next connection from a process of this user (another user's is closed: never theirs to run)."""
    while True:
        conn, _ = server.accept()
        uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
        if uid == os.getuid():
            return conn
        conn.close()


def _command(conn: socket.socket) -> int:
    """One command handed over on `conn`: run by a forked child, its pid then its exit status sent back."""
    _, fds, _, _ = socket.recv_fds(conn, 1, 3)
    request = json.loads(_receive(conn))
    warm = os.getpid()
    pid = os.fork()
    if pid == 0:
        _run_handed_over(conn, fds, request, warm)
    for fd in fds:
        os.close(fd)
    conn.sendall(_STATUS.pack(pid))
    _, status = os.waitpid(pid, 0)
    conn.sendall(_STATUS.pack(os.waitstatus_to_exitcode(status)))
    return 0


def _run_handed_over(conn: socket.socket, fds: list[int], request: dict, warm: int) -> None:
    """The forked child: the command's streams, directory, environment and arguments, then dbt; never returns."""
    import threading

    for number, fd in enumerate(fds):
        os.dup2(fd, number)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["serafin-dbt", *request["argv"]]
    end_with_parent(warm)  # the warm process

    def watch_command() -> None:  # the serafin-dbt that handed the command over ended (killed): so does dbt
        while True:
            try:
                if not conn.recv(1):
                    os._exit(143)
            except OSError:
                os._exit(143)

    threading.Thread(target=watch_command, daemon=True, name="serafin-command-watch").start()
    code = _dbt()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _hand_over(path: str) -> int | None:
    """In the `serafin-dbt` dagster-dbt started: give the command to the warm process and end as its dbt child
    ended. None when there is no warm process to take it (then this process runs dbt itself)."""
    client = connect(path)
    if client is None:
        return None
    request = json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}).encode("utf-8")
    socket.send_fds(client, [b"\x00"], [0, 1, 2])
    client.sendall(struct.pack("!I", len(request)) + request)
    started = _exactly(client, _STATUS.size)
    if started:
        child = _STATUS.unpack(started)[0]

        def forward(number, _frame):
            os.kill(child, number)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
    ended = _exactly(client, _STATUS.size) if started else b""
    code = _STATUS.unpack(ended)[0] if ended else -signal.SIGKILL  # the warm process itself was killed
    if code < 0:  # ended by a signal: so is this process, for dagster-dbt to read the same status
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _receive(conn: socket.socket) -> bytes:
    (size,) = struct.unpack("!I", _exactly(conn, 4))
    return _exactly(conn, size)


def _exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


if __name__ == "__main__":
    sys.exit(main())
