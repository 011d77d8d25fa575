"""What every report page shares: French number formats, the page frame, Plotly's library written once beside
the pages (no CDN: reports open offline), and each chart followed by its data as a table a screen reader can
read, with an Excel download of it.

Reports lay out figures the marts hold; they compute none.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

ASSETS = "assets"
PLOTLY_JS = "plotly.min.js"

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:80em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em}caption{text-align:left;font-weight:bold;padding:.3em 0}
td,th{border:1px solid #bbb;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef2f6;text-align:left}.note{color:#555;font-size:.9em}a.xlsx{font-size:.9em}"""


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


def chart(fig) -> str:
    """A Plotly figure as a fragment: the library is loaded once by the page (plotly_script)."""
    fig.update_layout(separators=", ", font={"family": "system-ui, sans-serif"})
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "locale": "fr"})


def data_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
               download: str | None = None) -> str:
    """The data of a chart (or a table of its own) as an HTML table, with a link to its Excel file."""
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{html.escape(str(v))}</td>' if i in numeric else f"<td>{html.escape(str(v))}</td>"
        for i, v in enumerate(row)) + "</tr>" for row in rows)
    link = f' <a class="xlsx" href="{html.escape(download)}">Télécharger (Excel)</a>' if download else ""
    return f"<table><caption>{html.escape(caption)}{link}</caption><thead><tr>{head}</tr></thead>" \
           f"<tbody>{body}</tbody></table>"


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
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            worksheet.write(r, col, value, cell_formats.get(col))
    for col, header in enumerate(headers):
        longest = max([len(str(header))] + [len(str(row[col])) for row in rows[:500] if row[col] is not None])
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
}
SMALL = "< 5"


def show(value, kind: str) -> str:
    if isinstance(value, str) and kind != "text":
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
                rows: Sequence[Sequence], limit: int | None = None, note: str = "") -> str:
    """A table (the data of a chart, or a table of its own) on the page, written whole to donnees/{name}.xlsx and
    linked from its caption. columns: (French header, kind of KINDS). `limit` shows the first rows only; the
    Excel file holds them all."""
    headers = [h for h, _ in columns]
    kinds = [k for _, k in columns]
    rows = [list(r) for r in rows]
    write_xlsx(out_dir / "donnees" / f"{name}.xlsx", caption[:31], headers, rows,
               {i: KINDS[k][1] for i, k in enumerate(kinds) if KINDS[k][1]})
    shown = rows if limit is None else rows[:limit]
    more = (f'<p class="note">{number(len(shown))} lignes sur {number(len(rows))} ; toutes dans le fichier Excel.</p>'
            if len(shown) < len(rows) else "")
    extra = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return data_table(caption, headers, [[show(v, k) for v, k in zip(r, kinds)] for r in shown],
                      numeric=[i for i, k in enumerate(kinds) if k != "text"],
                      download=f"donnees/{name}.xlsx") + more + extra


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
