"""pack_copil.pdf: the board pack a COPIL or a board reads on paper or receives ahead of the meeting. The steering
dashboard (pilotage), the CPOM synthesis and the key figures of the cost, quality and territory pages, laid out by
the same functions as the pages, on A4 with page numbers, each chart drawn as a picture with its transcript under
it, printed by headless Chromium (Debian's `chromium`, offline: the page and Plotly's library are local files) from
the pages' print stylesheet.

The pack's HTML is built in a temporary folder (its tables' Excel files with it, thrown away): only the PDF is
written into the reports folder. Without Chromium the pack is skipped, and the step says so in one line; so it is
with SERAFIN_BOARD_PACK=0 (the test suite's pipeline runs but the demo's: tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import duckdb

from reports.common import STYLE, plotly_script, query

PDF = "pack_copil.pdf"
# A4 portrait, page numbers in the bottom margin (CSS page-margin boxes, printed by Chromium); charts drawn at the
# printed width so that Plotly's pictures fit the page
PRINT_STYLE = """@page{size:A4;margin:14mm 12mm 18mm;@bottom-right{content:"Page " counter(page) " / " counter(pages);
font:9pt system-ui,sans-serif;color:#555}@bottom-left{content:"Dossier du comité de pilotage";
font:9pt system-ui,sans-serif;color:#555}}
body{width:184mm;margin:0 auto;font-size:10pt}section.part{break-before:page}section.part:first-of-type{break-before:auto}
a.xlsx,details,.noprint,.updatemenu-container,.modebar-container{display:none!important}
figure.chart,table,.kf li{break-inside:avoid}h2{break-after:avoid}.kf{grid-template-columns:repeat(3,1fr)}"""
# the flags a closed network needs (as tests/test_browser.py): no background connections, no first-run pages
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
         "--disable-crash-reporter", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
         "--virtual-time-budget=20000", "--window-size=700,1000"]


def chromium() -> str | None:
    """Chromium's executable: SERAFIN_CHROMIUM, else `chromium` on the PATH (Debian's package), else none."""
    found = os.environ.get("SERAFIN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found if found and Path(found).exists() else None


def pack_html(con, folder: Path) -> str:
    """The pack as one HTML document: its Excel files and Plotly's library written under `folder`."""
    from reports.cost_figures import cost_key_figures
    from reports.cpom_pack import cpom_body
    from reports.narrative import key_figures
    from reports.pilotage import SUBTITLE, pilotage_body
    from reports.quality import quality_figures
    from reports.territory import figures_block

    title, pilotage = pilotage_body(con, folder)
    period = query(con, "select min(year), max(year) from marts.cost_reconciliation")
    span = f"exercices {period[0][0]}–{period[0][1]}" if period and period[0][0] else "aucun exercice"
    parts = [("", pilotage),
             ("Dossier CPOM : la trajectoire et le scénario retenu", cpom_body(con)),
             ("Coûts : l’essentiel", cost_key_figures(con)),
             ("Qualité de l’accompagnement : l’essentiel", key_figures(quality_figures(con), "Indicateurs et suivi")),
             ("Territoire : l’essentiel", figures_block(con))]
    body = "".join(f'<section class="part">{f"<h1>{html.escape(h)}</h1>" if h else ""}{b}</section>'
                   for h, b in parts)
    head = (f'<p class="note">{html.escape(SUBTITLE)} Édité le {dt.date.today():%d/%m/%Y} ; {span}. Le détail de '
            "chaque tableau est dans les rapports HTML et leurs fichiers Excel.</p>")
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}{PRINT_STYLE}</style>{plotly_script(folder)}</head><body><h1>{html.escape(title)}</h1>"
            f"{head}{body}</body></html>")


def print_pdf(browser: str, source: Path, target: Path, timeout: int = 180) -> None:
    """`source` printed to `target` by headless Chromium, offline, with a profile of its own thrown away after."""
    with tempfile.TemporaryDirectory(prefix="serafin-chromium-") as profile:
        done = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={target}",
                               source.as_uri()], capture_output=True, text=True, errors="replace",
                              timeout=timeout, check=False)
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(f"Chromium could not print the board pack (exit {done.returncode}): "
                           + (lines[-1] if lines else "no output"))


def build_pack(warehouse: Path, out_dir: Path) -> Path | str:
    """Write `pack_copil.pdf` into the reports folder: its path; without Chromium, the sentence saying it was
    skipped (the pipeline's report step logs it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="serafin-pack-") as tmp:
        folder = Path(tmp)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            source = folder / "pack_copil.html"
            source.write_text(pack_html(con, folder), encoding="utf-8")
        if os.environ.get("SERAFIN_BOARD_PACK") == "0":
            return f"{PDF} skipped: SERAFIN_BOARD_PACK=0"
        browser = chromium()
        if browser is None:
            return (f"{PDF} skipped: Chromium is not installed (apt-get install chromium, or SERAFIN_CHROMIUM=path); "
                    "the HTML reports are written")
        partial = folder / PDF
        print_pdf(browser, source, partial)
        target = out_dir / PDF
        shutil.move(str(partial), target)
    return target
