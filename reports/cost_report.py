"""The finance director's cost report: one HTML page per run, from the cost marts only.

Numbers are computed in the marts (dbt); this module lays them out. Charts are Plotly; its library is
written once beside the pages (reports/common.py: no CDN, users open reports offline).
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from reports.common import chart as chart_html
from reports.common import plotly_script

SUMMARY_SQL = """
select r.finess_et, e.name, e.category, r.year, e.authorized_places,
       r.charges_total, r.charges_in_scope, r.allocated_to_persons, r.unallocated, r.delta,
       r.charges_in_scope / nullif(e.authorized_places, 0) as cost_per_place,
       (select count(*) from marts.person_cost p where p.finess_et = r.finess_et and p.year = r.year) as persons,
       cat.cost_per_place_min, cat.cost_per_place_max
from marts.cost_reconciliation r
left join core.establishments e on e.finess_et = r.finess_et
left join ref.esms_categories cat on cat.short_label = e.category
order by r.finess_et, r.year
"""


def cost_summary(warehouse: Path) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(SUMMARY_SQL)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _euro(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} €".replace(",", "\u202f")


def build_cost_report(warehouse: Path, out_dir: Path) -> Path:
    import plotly.express as px

    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        prestations = con.execute(
            "select finess_et, cast(year as varchar) as year, prestation_code, full_cost, cost_per_hour "
            "from marts.cost_per_prestation order by finess_et, year, prestation_code").df()
        parameters = con.execute("select parameter, key_, value_ from marts.cost_parameters "
                                 "where parameter = 'method'").fetchall()
    summary = cost_summary(warehouse)
    rows = "".join(
        f"<tr><td>{html.escape(str(s['finess_et']))}</td><td>{html.escape(str(s['name'] or ''))}</td>"
        f"<td>{s['category'] or ''}</td><td>{s['year']}</td><td>{_euro(s['charges_total'])}</td>"
        f"<td>{_euro(s['charges_in_scope'])}</td><td>{_euro(s['allocated_to_persons'])}</td>"
        f"<td>{_euro(s['unallocated'])}</td><td>{_euro(s['cost_per_place'])}</td><td>{s['persons']}</td></tr>"
        for s in summary)
    chart = ""
    if not prestations.empty:
        fig = px.bar(prestations, x="prestation_code", y="full_cost", color="year", barmode="group",
                     facet_row="finess_et", height=320 * max(1, prestations["finess_et"].nunique()),
                     labels={"prestation_code": "Prestation SERAFIN-PH", "full_cost": "Coût complet (€)",
                             "year": "Exercice"},
                     title="Coût complet par prestation directe")
        chart = chart_html(fig)
    method = parameters[0][2] if parameters else ""
    page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Coûts SERAFIN-PH</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}</style>{plotly_script(out_dir)}</head>
<body><h1>Coûts des prestations SERAFIN-PH</h1><p>Méthode : {html.escape(method)}</p>
<table><tr><th>FINESS</th><th>ESMS</th><th>Catégorie</th><th>Exercice</th><th>Charges totales</th><th>Charges retenues</th>
<th>Affecté aux personnes</th><th>Non affecté</th><th>Coût par place</th><th>Personnes</th></tr>{rows}</table>
{chart}<p><a href="index.html">Tous les rapports</a></p></body></html>"""
    path = out_dir / "couts.html"
    path.write_text(page, encoding="utf-8")
    return path
