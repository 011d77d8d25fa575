"""Every report page of the demo run opened in headless Chromium (Debian's package, driven by Playwright; nothing
downloads a browser), served over HTTP on localhost as a user's web server would: no JavaScript error, no failed
request, every chart drawn with its accessible name and transcript, and two screenshots of each page saved
(SERAFIN_SCREENSHOTS, else the test's temporary folder): its first screen (`<page>-premier-ecran.png`, what a reader
sees first: the key figures) and the whole page. Without /usr/bin/chromium the tests are skipped, unless
SERAFIN_REQUIRE_BROWSER=1 (CI sets it), where they fail."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# the flags a closed network needs: no background connections, no update checks, no first-run pages
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PAGES = ["index.html", "pilotage.html", "couts.html", "qualite.html", "territoire.html", "cpom.html", "donnees.html",
         "restreint/index.html"]


def _require_browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("SERAFIN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is not installed ({CHROMIUM}): apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser tests are skipped")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(demo):
    """The demo's reports folder served on a free localhost port."""
    _require_browser()
    handler = functools.partial(_Quiet, directory=str(demo.path.parent / "reports"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SERAFIN_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser, url: str):
    """A new page at `url`, with every JavaScript error, console error, failed request and HTTP error recorded."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed request: {request.url} "
                                                             f"({request.failure})"))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    # the whole document parsed and its scripts run (a long page can be quiet on the network while still loading)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems


@pytest.mark.parametrize("name", PAGES)
def test_the_page_opens_without_error(browser, site, screenshots, name):
    page, problems = _open(browser, f"{site}/{name}")
    try:
        # every chart drawn (Plotly draws after the page's load on a busy machine) before anything is counted
        page.wait_for_function("[...document.querySelectorAll('figure.chart')].every(f => f.querySelector('.main-svg'))",
                               timeout=30_000)
        charts = page.evaluate("document.querySelectorAll('.plotly-graph-div').length")
        drawn = page.evaluate("document.querySelectorAll('.plotly-graph-div .main-svg').length")
        tables = page.locator("table caption").count()
        stem = name.replace("/", "_").removesuffix(".html")
        page.screenshot(path=str(screenshots / f"{stem}-premier-ecran.png"))
        page.screenshot(path=str(screenshots / (name.replace("/", "_") + ".png")), full_page=True)
        assert problems == []
        # each chart is a figure named by its title, its transcript as caption
        names = page.eval_on_selector_all("figure.chart", "els => els.map(e => e.getAttribute('aria-label'))")
        captions = page.evaluate("document.querySelectorAll('figure.chart figcaption.transcript').length")
        assert len(names) == charts == captions and all(names), name
        if name not in ("index.html", "restreint/index.html"):
            # the page opens with its key figures, on its first screen
            assert page.locator("ul.kf li").count() > 0, name
            assert page.locator("ul.kf").first.bounding_box()["y"] < 900, name
        assert page.locator("h1").count() == 1 and page.title()
        if name not in ("index.html", "restreint/index.html", "cpom.html", "donnees.html"):
            assert charts > 0, name
        # Plotly draws each chart into SVG layers: none is left empty
        assert drawn >= charts
        assert tables > 0 or name == "index.html"
        assert (screenshots / (name.replace("/", "_") + ".png")).stat().st_size > 10_000
        assert (screenshots / f"{stem}-premier-ecran.png").stat().st_size > 10_000
    finally:
        page.close()


def test_every_link_of_the_index_resolves(browser, site):
    page, problems = _open(browser, f"{site}/index.html")
    try:
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert {"pilotage.html", "couts.html", "qualite.html", "territoire.html", "cpom.html",
                "cpom_annexe.xlsx"} <= set(links)
        assert not any("restreint" in link for link in links)
        for link in links:
            response = page.request.get(f"{site}/{link}")
            assert response.status == 200, link
        assert problems == []
    finally:
        page.close()


def test_the_menu_of_a_chart_switches_esms(browser, site):
    """The cost page's charts show one ESMS at a time; its menu shows another, drawn without error."""
    page, problems = _open(browser, f"{site}/couts.html")
    try:
        graph = "document.querySelectorAll('.plotly-graph-div')[0]"
        before = page.evaluate(f"{graph}.data.map(t => t.visible)")
        assert before.count(True) == 1 and len(before) > 1
        page.locator(".updatemenu-header-group").first.click()
        page.locator(".updatemenu-dropdown-button").nth(1).click()
        page.wait_for_timeout(300)
        after = page.evaluate(f"{graph}.data.map(t => t.visible)")
        assert after.count(True) == 1 and after != before
        assert problems == []
    finally:
        page.close()


def test_a_folded_table_unfolds(browser, site):
    """A long table shows its first rows; its other rows are one click away (<details>), drawn without error."""
    page, problems = _open(browser, f"{site}/couts.html")
    try:
        folded = page.locator("details").first
        hidden = folded.locator("tbody tr").first
        assert not hidden.is_visible()
        folded.locator("summary").click()
        assert hidden.is_visible() and folded.locator("tbody tr").count() > 0
        assert problems == []
    finally:
        page.close()
