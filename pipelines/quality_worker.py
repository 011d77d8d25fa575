"""The data-quality checks (pipelines/data_quality/) run by a Python process of its own, so that its import of Great
Expectations (about 3.5 s of CPU) can start ahead of the step that needs it, on the CPU the run leaves idle. The
process ends with the run's (pipelines/children.py). Who starts it and when: pipelines/prewarm.py.

A process that starts many runs (the test suite, tests/conftest.py) can start one `Many` instead: GX imported once,
each run's checks in a process forked from it, found through MANY_ENV (as dbt's, pipelines/dbt_child.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from pipelines import data_quality as suites
from pipelines.children import connect, end_with_parent

MANY_ENV = "SERAFIN_QUALITY_WARM_MANY"  # the socket of a `Many`: every run's checks taken there


class WorkerFailed(Exception):
    """The data-quality process ended without its outcomes; the message is its last error line."""


class Worker:
    """The suite run by a Python process of its own (`python -m pipelines.quality_worker RUN_PID`): it imports GX
    as soon as it starts (about 3.5 s of CPU) in a thread of lower CPU priority, then waits for the warehouse to
    check, runs `run` on it and writes the outcomes as JSON. A run starts one ahead (pipelines/prewarm.py): the import uses
    what CPU the run leaves idle before the data-quality step. Imported in the run's own process while dbt built,
    GX took those seconds from dbt, which keeps both cores busy (a month added: 2 to 3 s longer). The process
    ends with the run's (pipelines/children.py)."""

    def __init__(self) -> None:
        import tempfile

        self._stderr = tempfile.TemporaryFile()  # a pipe nobody reads until the end could fill up and block it
        self._many, self.process = connect(os.environ.get(MANY_ENV)), None
        if self._many is None:
            self.process = subprocess.Popen([sys.executable, "-m", "pipelines.quality_worker", str(os.getpid())],
                                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                            text=True, encoding="utf-8")

    def alive(self) -> bool:
        return self._many is not None or (self.process is not None and self.process.poll() is None)

    def run(self, warehouse: Path, work: Path) -> list[suites.Outcome]:
        """`run(warehouse, work)` in the worker's process: its outcomes, or WorkerFailed."""
        work.mkdir(parents=True, exist_ok=True)
        result = work / "outcomes.json"
        request = {"warehouse": str(Path(warehouse).resolve()), "work": str(work.resolve()), "result": str(result)}
        try:
            code = self._ask_many(request) if self._many is not None else self._ask_own(request)
            if code != 0 or not result.exists():
                self._stderr.seek(0)
                lines = [line for line in self._stderr.read().decode("utf-8", "replace").splitlines()
                         if line.strip()]
                raise WorkerFailed(lines[-1] if lines else f"the data-quality process ended with status {code}")
            return [_outcome(item) for item in json.loads(result.read_text(encoding="utf-8"))]
        finally:
            self.stop()

    def _ask_own(self, request: dict) -> int:
        self.process.communicate(json.dumps(request) + "\n")
        return self.process.returncode

    def _ask_many(self, request: dict) -> int:
        """The request handed to a process forked by the `Many` (with this run's environment, directory and error
        file); its exit status (-9 when it ended without one)."""
        message = json.dumps({**request, "env": dict(os.environ), "cwd": os.getcwd()}).encode("utf-8") + b"\n"
        socket.send_fds(self._many, [message], [self._stderr.fileno()])
        reply = b""
        while chunk := self._many.recv(64):
            reply += chunk
        return int(reply) if reply.strip() else -9

    def stop(self) -> None:
        if self._many is not None:
            self._many.close()  # a forked process still checking ends with it
            self._many = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        self._stderr.close()


def _as_dict(outcome: suites.Outcome) -> dict:
    check = outcome.check
    return {"check": {"check_id": check.check_id, "table": check.table, "label": check.label,
                      "expectation": check.expectation, "kwargs": [list(pair) for pair in check.kwargs]},
            "severity": outcome.severity, "success": outcome.success, "element_count": outcome.element_count,
            "unexpected_count": outcome.unexpected_count, "sample": outcome.sample}


def _outcome(item: dict) -> suites.Outcome:
    check = dict(item["check"], kwargs=tuple(tuple(pair) for pair in item["check"]["kwargs"]))
    return suites.Outcome(suites.Check(**check), item["severity"], item["success"], item["element_count"],
                   item["unexpected_count"], item["sample"])


def _serve(parent: int) -> int:
    """The worker's process: GX first, then one request on stdin (none: the run ended without its data-quality
    step)."""
    end_with_parent(parent)
    failed: list[BaseException] = []

    def import_quietly() -> None:
        # at a lower CPU priority (this thread's only, on Linux): the import takes the cores only when the run leaves
        # them idle (Dagster's start, dbt's, the gaps between dbt's nodes); the suite itself runs at the run's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            suites.import_gx()
        except BaseException as exc:  # raised again in the main thread, for the step to report
            failed.append(exc)

    importing = threading.Thread(target=import_quietly, name="serafin-import-gx", daemon=True)
    importing.start()
    line = sys.stdin.readline()
    if not line.strip():  # the run ended without its data-quality step: no need to finish the import
        os._exit(0)
    importing.join()
    if failed:
        raise failed[0]
    _check(json.loads(line))
    # done: the step waits for this process's end, and the interpreter's own teardown (GX, SQLAlchemy) took 0.5 s
    sys.stderr.flush()
    os._exit(0)


def _check(request: dict) -> None:
    outcomes = suites.run(Path(request["warehouse"]), Path(request["work"]))
    Path(request["result"]).write_text(json.dumps([_as_dict(o) for o in outcomes], ensure_ascii=False),
                                       encoding="utf-8")


# ---------------------------------------------------------------- one process for many runs

class Many:
    """`python -m pipelines.quality_worker --many SOCKET OWNER`: GX imported once; each connection's checks run by
    a process forked for it (`_serve_many`). Named to the runs by MANY_ENV = `path`; ends with the process that
    started it."""

    def __init__(self, folder: Path) -> None:
        import tempfile

        self._private = tempfile.mkdtemp(prefix="serafin-gx-")  # a Unix socket's path holds 107 bytes at most
        self.path = Path(self._private) / "gx.sock"
        self.process = subprocess.Popen([sys.executable, "-m", "pipelines.quality_worker", "--many", str(self.path),
                                         str(os.getpid())], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        cwd=folder)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.path.unlink(missing_ok=True)
        os.rmdir(self._private)


def _serve_many(path: str, owner: int) -> int:
    """Bound first (a run that comes while GX is imported waits for it), then GX, then one forked process per
    connection, reaped by the kernel."""
    import signal

    end_with_parent(owner)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    suites.import_gx()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            os._exit(_check_for(conn))
        conn.close()


def _check_for(conn: socket.socket) -> int:
    """In the forked process: the run's request (none: the run ended before its data-quality step), its error file
    as this process's, its environment and directory; the checks; the status sent back. Ends when the run closes the
    connection first (killed)."""
    import traceback

    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 1)
    while data and not data.endswith(b"\n"):
        more = conn.recv(1 << 16)
        if not more:
            return 1
        data += more
    if not data:
        return 0
    for fd in fds:
        os.dup2(fd, 2)
        os.close(fd)
    request = json.loads(data)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])

    def watch() -> None:
        try:
            conn.recv(1)
        finally:
            os._exit(143)

    threading.Thread(target=watch, daemon=True, name="serafin-run-watch").start()
    code = 0
    try:
        _check(request)
    except BaseException:  # its last line is what the step reports
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    conn.sendall(str(code).encode())
    return code


if __name__ == "__main__":
    if sys.argv[1] == "--many":
        sys.exit(_serve_many(sys.argv[2], int(sys.argv[3])))
    sys.exit(_serve(int(sys.argv[1])))
