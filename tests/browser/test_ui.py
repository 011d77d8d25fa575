"""`serafin ui` on a built warehouse (issue 40): the webserver and the daemon start on the warehouse's instance, headless
Chromium (Debian's, driven by Playwright) opens the runs page and the data-quality asset's checks page with no
console error, no request leaving 127.0.0.1 and no community dialog, and sees the run; SIGTERM then stops every
process `serafin ui` started within 10 s. Without /usr/bin/chromium the browser test is skipped, unless
SERAFIN_REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
STARTUP = 300  # seconds the webserver may take to answer on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    found, stack = set(), [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ").decode(errors="replace")[:160]
    except OSError:
        return "?"


@pytest.fixture(scope="module")
def served(worked_example, tmp_path_factory):
    """`serafin ui` on a copy of the worked example's warehouse and its instance (one run)."""
    work = tmp_path_factory.mktemp("ui")
    shutil.copy(worked_example.path, work / "warehouse.duckdb")
    shutil.copytree(worked_example.path.with_name("warehouse.dagster"), work / "warehouse.dagster")
    port = _free_port()
    process = subprocess.Popen([str(Path(sys.executable).with_name("serafin")), "ui", "--warehouse",
                                str(work / "warehouse.duckdb"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None:
                raise AssertionError(f"serafin ui ended: {process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the UI did not answer within {STARTUP} s")
            time.sleep(1)
        yield url, process, work
    finally:
        for pid in [process.pid, *_descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()


def _open(browser, url: str, home: str):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("request", lambda request: problems.append(f"request leaving the machine: {request.url}")
            if not request.url.startswith((home, "data:", "blob:")) else None)
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_the_runs_and_the_checks_are_in_the_ui(served):
    import dagster as dg

    if not Path(CHROMIUM).exists():
        if os.environ.get("SERAFIN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is not installed ({CHROMIUM}): apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    url, _, work = served
    with dg.DagsterInstance.from_config(str(work / "warehouse.dagster")) as instance:
        run_id = instance.get_runs()[0].run_id
    # a data-quality check of the run (audit.data_quality's check ids are the asset checks' names), the first by name
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        check = con.execute("select min(check_id) from audit.data_quality").fetchone()[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page, problems = _open(browser, f"{url}/runs", url)
            page.get_by_text(run_id[:8]).first.wait_for(timeout=120_000)
            page.wait_for_timeout(2_000)  # the community dialog would open 1 s after the page
            assert "Join the Dagster community" not in page.content()
            assert problems == []
            page.close()
            page, problems = _open(browser, f"{url}/assets/audit/data_quality?view=checks", url)
            page.get_by_text(check, exact=True).first.wait_for(timeout=120_000)
            assert problems == []
            page.close()
        finally:
            browser.close()


def test_sigterm_stops_every_process_within_10_s(served):
    _, process, _ = served
    started = _descendants(process.pid)
    assert len(started) >= 3  # the webserver, the daemon and their code servers
    os.kill(process.pid, signal.SIGTERM)
    stopped = time.monotonic()
    while any(_running(pid) for pid in [process.pid, *started]) and time.monotonic() - stopped < 10:
        time.sleep(0.1)
    left = {pid: _command(pid) for pid in [process.pid, *started] if _running(pid)}
    assert left == {}, f"still running {time.monotonic() - stopped:.1f} s after SIGTERM"
    assert process.wait(timeout=5) == 0
