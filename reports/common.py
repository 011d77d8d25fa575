"""What every report page shares: French number formats, the page frame and its print stylesheet, Plotly's
library written once beside the pages (no CDN: reports open offline), the key figures a page opens with, each chart
with its accessible name and a transcript (largest, smallest, trend) followed by its data as a table a screen reader
can read, long tables folded (HTML `<details>`) with an Excel download of the whole, and a sentence where a table
would have no row.

Reports lay out figures the marts hold; they compute none.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

ASSETS = "assets"
PLOTLY_JS = "plotly.min.js"

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:80em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em}caption{text-align:left;font-weight:bold;padding:.3em 0}
td,th{border:1px solid #bbb;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef2f6;text-align:left}.note{color:#555;font-size:.9em}a.xlsx{font-size:.9em}
.kf{display:grid;grid-template-columns:repeat(auto-fill,minmax(15em,1fr));gap:.8em;margin:1em 0 1.5em;padding:0}
.kf li{list-style:none;border:1px solid #d0d7de;border-left:6px solid #0969da;border-radius:4px;padding:.6em .8em}
.kf .l{display:block;color:#444;font-size:.9em}.kf .v{display:block;font-size:1.5em;font-weight:bold}
.kf .c{display:block;font-size:.85em;color:#444}.kf li.good{border-left-color:#1a7f37}
.kf li.bad{border-left-color:#cf222e}.kf li.warn{border-left-color:#9a6700}
figure.chart{margin:1em 0}figure.chart figcaption{font-size:.95em;margin:.3em 0 .8em;max-width:60em}
details{margin:0 0 1em}details summary{cursor:pointer;color:#0969da}p.empty{font-style:italic;color:#444}
.st{font-weight:bold;white-space:nowrap}.st::before{content:"\u25CF\u00a0"}
.st-met{color:#1a7f37}.st-on_track{color:#9a6700}.st-off_track{color:#cf222e}.st-no_data{color:#6e7781}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{body{margin:0;max-width:none;font-size:10pt}a.xlsx,details,.noprint,.updatemenu-container,
.modebar-container{display:none!important}figure.chart,table,.kf li{break-inside:avoid}h2{break-after:avoid}
.kf{grid-template-columns:repeat(3,1fr)}}"""


def euros(value) -> str:
    """1 234 567 € (narrow no-break spaces, no decimals), as a French finance director reads it."""
    if value is None:
        return ""
    return f"{value:,.0f}\u202f€".replace(",", "\u202f")


def number(value, decimals: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def percent(value, decimals: int = 1) -> str:
    return "" if value is None else number(value * 100, decimals) + "\u202f%"


def plotly_script(out_dir: Path) -> str:
    """Write Plotly's library once into the reports folder's assets; the tag each page loads it with."""
    from plotly.offline import get_plotlyjs

    target = out_dir / ASSETS / PLOTLY_JS
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(get_plotlyjs(), encoding="utf-8")
    return f'<script src="{ASSETS}/{PLOTLY_JS}"></script>'


def chart(fig, transcript: str = "") -> str:
    """A Plotly figure as a fragment (the library is loaded once by the page, plotly_script), inside a <figure>
    named by the chart's title (its accessible name) with its transcript as caption: what it shows in one or two
    sentences (largest, smallest, trend), for a screen reader, a hurried reader and the printed pack."""
    fig.update_layout(separators=", ", font={"family": "system-ui, sans-serif"})
    title = fig.layout.title.text or ""
    drawn = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "locale": "fr"})
    caption = f'<figcaption class="transcript">{html.escape(transcript)}</figcaption>' if transcript else ""
    return f'<figure class="chart" aria-label="{html.escape(title)}">{drawn}{caption}</figure>'


class Markup(str):
    """Text already written as HTML (a status badge): a table shows it as it is."""


def status_badge(code: str, label: str) -> Markup:
    """A status as a word and a colour (the colour never alone): `.st-met`, `.st-off_track`… of STYLE."""
    return Markup(f'<span class="st st-{html.escape(code)}">{html.escape(label)}</span>')


def empty(caption: str, why: str) -> str:
    """What a page says where a table would have no row: never an empty table."""
    return f'<p class="empty">{html.escape(caption)} : {html.escape(why)}</p>'


def _cell(value, numeric: bool) -> str:
    text = value if isinstance(value, Markup) else html.escape(str(value))
    return f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>"


@dataclass(frozen=True)
class Layout:
    """How much of a table a page shows. `fold`: the first rows shown, the others one click away (<details>;
    None: all shown, 0: the whole table one click away); `limit` (table_block): at most so many rows on the page,
    the Excel file holds them all; `note`: a sentence under the table (table_block); `why_empty`: what the page
    says instead of a table without rows."""

    fold: int | None = None
    limit: int | None = None
    note: str = ""
    why_empty: str = "aucune ligne."


def block(fold: int = 10, limit: int | None = None, note: str = "",
          why_empty: str = "aucune ligne pour cet entrepôt.") -> Layout:
    """table_block's layout: the first 10 rows, the others one click away, unless told otherwise."""
    return Layout(fold, limit, note, why_empty)


def data_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
               download: str | None = None, layout: Layout = Layout()) -> str:
    """The data of a chart (or a table of its own) as an HTML table, with a link to its Excel file. `layout.fold`:
    the first rows shown, the others one click away (<details>); no row: a sentence (`layout.why_empty`), not an
    empty table."""
    fold = layout.fold
    if not rows:
        return empty(caption, layout.why_empty)
    head = "<thead><tr>" + "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers) + "</tr></thead>"

    def body(lines):
        return "<tbody>" + "".join("<tr>" + "".join(_cell(v, i in numeric) for i, v in enumerate(row)) + "</tr>"
                                   for row in lines) + "</tbody>"

    link = f' <a class="xlsx" href="{html.escape(download)}">Télécharger (Excel)</a>' if download else ""
    if fold == 0:  # the whole table one click away
        return (f"<details><summary>{html.escape(caption)} : {number(len(rows))} lignes</summary><table><caption>"
                f"{html.escape(caption)}{link}</caption>{head}{body(rows)}</table></details>")
    first = rows if fold is None else rows[:fold]
    out = f"<table><caption>{html.escape(caption)}{link}</caption>{head}{body(first)}</table>"
    rest = rows[len(first):]
    if rest:
        out += (f"<details><summary>Afficher les {number(len(rest))} autres lignes</summary>"
                f'<table><caption class="noprint">{html.escape(caption)} (suite)</caption>{head}{body(rest)}'
                "</table></details>")
    return out


def write_xlsx(path: Path, sheet: str, headers: Sequence[str], rows: Sequence[Sequence], formats: dict[int, str]
               | None = None) -> None:
    """One table as an Excel file: French headers, a frozen header row, column widths, number formats."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    add_sheet(workbook, sheet, headers, rows, formats or {})
    workbook.close()


def add_sheet(workbook, sheet: str, headers: Sequence[str], rows: Sequence[Sequence], formats: dict[int, str]) -> None:
    """A sheet of the workbook: bold header row frozen, widths from the content, a number format per column
    (in Excel's own codes: `#,##0 "€"`, `0.0%`; shown with the reader's separators)."""
    worksheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", "", sheet).strip()[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1, "text_wrap": True})
    cell_formats = {i: workbook.add_format({"num_format": f}) for i, f in formats.items()}
    for col, header in enumerate(headers):
        worksheet.write(0, col, header, bold)
    own_formats: dict[str, object] = {}  # a cell of its own kind (Shown): its kind's number format
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, Shown):
                code = KINDS[value.kind][1]
                if code and code not in own_formats:
                    own_formats[code] = workbook.add_format({"num_format": code})
                fmt, value = own_formats.get(code), value.value
            elif isinstance(value, Markup):
                fmt, value = None, re.sub(r"<[^>]+>", "", value)
            else:
                fmt = cell_formats.get(col)
            if value is None:
                continue
            worksheet.write(r, col, value, fmt)
    for col, header in enumerate(headers):
        longest = max([len(str(header))] + [len(str(_plain(row[col]))) for row in rows[:500]
                                            if row[col] is not None])
        worksheet.set_column(col, col, min(60, max(10, longest + 2)))
    worksheet.freeze_panes(1, 0)
    if rows:
        worksheet.autofilter(0, 0, len(rows), len(headers) - 1)


# How each kind of column is shown on a page and formatted in Excel (Excel's own number codes; the reader's
# separators apply). A cell holding text where a number is expected (the "< 5" of a small cell) stays as it is.
KINDS = {
    "text": (lambda v: "" if v is None else str(v), None),
    "int": (number, "#,##0"),
    "dec": (lambda v: number(v, 1), "#,##0.0"),
    "dec2": (lambda v: number(v, 2), "#,##0.00"),
    "euro": (euros, '#,##0 "€"'),
    "euro2": (lambda v: "" if v is None else number(v, 2) + "\u202f€", '#,##0.00 "€"'),
    "ratio": (percent, "0.0%"),
    "points": (lambda v: "" if v is None else ("+" if v > 0 else "") + number(v * 100, 1) + "\u202fpt",
               '+0.0%;-0.0%;0.0%'),
}
SMALL = "< 5"


class Shown(NamedTuple):
    """A cell with a kind of its own in a column of mixed units (an objective's target: a rate, euros or a
    count): shown and formatted in Excel by its kind."""

    value: object
    kind: str


def _plain(value):
    return value.value if isinstance(value, Shown) else value


def show(value, kind: str) -> str:
    if isinstance(value, Shown):
        return show(value.value, value.kind)
    if isinstance(value, Markup) or (isinstance(value, str) and kind != "text"):
        return value
    return KINDS[kind][0](value)


def dropdown(fig, groups: dict[str, list], label: str = "") -> None:
    """Traces grouped by an ESMS (or a scenario): the first group shown, a menu above the chart switches group.
    One chart for many ESMS keeps the page light at a region's scale."""
    visible = []
    for n, traces in enumerate(groups.values()):
        for trace in traces:
            trace.visible = n == 0
            fig.add_trace(trace)
        visible.append(len(traces))
    total = sum(visible)
    buttons, start = [], 0
    for name, count in zip(groups, visible):
        mask = [start <= i < start + count for i in range(total)]
        buttons.append({"label": name, "method": "update", "args": [{"visible": mask}]})
        start += count
    if len(buttons) > 1:
        fig.update_layout(updatemenus=[{"buttons": buttons, "direction": "down", "x": 0, "xanchor": "left",
                                        "y": 1.02, "yanchor": "bottom", "showactive": True}],
                          margin={"t": 120}, title={"y": 0.98, "yanchor": "top"})
        if label:
            fig.add_annotation(text=label, showarrow=False, x=0, xref="paper", y=1.12, yref="paper",
                               xanchor="left", yanchor="bottom")


def table_block(out_dir: Path, name: str, caption: str, columns: Sequence[tuple[str, str]],
                rows: Sequence[Sequence], layout: Layout | None = None) -> str:
    """A table (the data of a chart, or a table of its own) on the page, written whole to donnees/{name}.xlsx and
    linked from its caption. columns: (French header, kind of KINDS). The page shows the first `layout.fold` rows,
    the others up to `layout.limit` one click away; the Excel file holds them all. No row: a sentence saying why
    (`layout.why_empty`), no file. `layout`: block() unless given."""
    layout = layout or block()
    if not rows:
        return empty(caption, layout.why_empty)
    headers = [h for h, _ in columns]
    kinds = [k for _, k in columns]
    rows = [list(r) for r in rows]
    write_xlsx(out_dir / "donnees" / f"{name}.xlsx", caption[:31], headers, rows,
               {i: KINDS[k][1] for i, k in enumerate(kinds) if KINDS[k][1]})
    on_page = rows if layout.limit is None else rows[:layout.limit]
    more = (f'<p class="note">{number(len(on_page))} lignes sur {number(len(rows))} à l’écran ; toutes dans le '
            "fichier Excel.</p>" if len(on_page) < len(rows) else "")
    extra = f'<p class="note">{html.escape(layout.note)}</p>' if layout.note else ""
    return data_table(caption, headers, [[show(v, k) for v, k in zip(r, kinds)] for r in on_page],
                      numeric=[i for i, k in enumerate(kinds) if k != "text"],
                      download=f"donnees/{name}.xlsx", layout=Layout(fold=layout.fold)) + more + extra


def query(con, sql: str, params: Sequence = ()) -> list[tuple]:
    """Rows of a mart; none when the warehouse predates it (an older warehouse still gets its other pages)."""
    import duckdb

    try:
        return con.execute(sql, list(params)).fetchall()
    except duckdb.CatalogException:
        return []


def page(title: str, body: str, scripts: str = "", subtitle: str = "") -> str:
    sub = f'<p class="note">{html.escape(subtitle)}</p>' if subtitle else ""
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style>{scripts}</head><body><h1>{html.escape(title)}</h1>{sub}{body}"
            f'<p class="note"><a href="index.html">Tous les rapports</a></p></body></html>')
