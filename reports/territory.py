"""territoire.html: the shared diagnosis of the territory, from the territory marts: the offer per department and
category (with the cooperation's share), the demand (persons waiting, their waiting days, admissions), the
coverage (places per 1,000 inhabitants of the age band served) and a map that works offline: each ESMS placed by
its coordinates on plain axes, no tile server. Board-level: the marts' suppressed cells show "< 5".

It opens with the key figures of the cooperation's departments (territory_figures): its share of the places, the
most tense category, and per category the places per 1,000 inhabitants and the persons waiting per place against
the year before."""

from __future__ import annotations

from pathlib import Path

import duckdb

from reports.common import Layout, chart, data_table, number, page, percent, plotly_script, query, write_xlsx
from reports.narrative import KeyFigure, change, extremes, key_figures

SMALL = "< 5"


COVERAGE_SQL = """
    with dep as (select distinct department from marts.territory_establishments where in_cooperation),
    own as (select distinct department from core.establishments where department is not null),
    scope as (select department from dep union all
              select department from own where not exists (select 1 from dep) union all
              select distinct department from marts.territory_coverage
              where not exists (select 1 from dep) and not exists (select 1 from own))
    select c.department, c.category, c.year, c.places_per_1000, b.places_per_1000, c.waiting_per_place,
           b.waiting_per_place
    from marts.territory_coverage as c
    left join marts.territory_coverage as b
        on b.department = c.department and b.category = c.category and b.year = c.year - 1
    where c.department in (select department from scope)
      and c.year = (select max(year) from marts.territory_coverage)
    order by c.department, c.places_per_1000 desc"""


def territory_figures(con) -> tuple[list[KeyFigure], list[tuple]]:
    """The cooperation's departments (without one, those of the warehouse's ESMS): its share of their places, the
    category with the most persons waiting per place; and the COVERAGE_SQL rows (per category, this year and
    the year before)."""
    rows = query(con, COVERAGE_SQL)
    out = []
    share = query(con, """
        select coalesce(sum(cooperation_places), 0), sum(authorized_places) from marts.territory_offer
        where department in (select department from marts.territory_establishments where in_cooperation)""")
    if share and share[0][1]:
        out.append(KeyFigure("cooperation_share", "Places de la coopération dans ses départements",
                             percent(share[0][0] / share[0][1]),
                             f"{number(share[0][0])} places autorisées sur {number(share[0][1])}"))
    tense = [r for r in rows if r[5] is not None]
    if tense:
        d, c, y, _, _, w, wb = max(tense, key=lambda r: r[5])
        out.append(KeyFigure("most_tense", f"Catégorie la plus en tension en {y} : {c} ({d})",
                             f"{number(w, 2)} en attente par place",
                             change(w, wb, lambda v: number(v, 2), y - 1), "bad" if w >= 0.5 else "warn"))
    return out, rows


def figures_block(con) -> str:
    figures, rows = territory_figures(con)
    table = data_table(
        f"Couverture par catégorie en {rows[0][2]}, sur l’exercice précédent" if rows else "Couverture par catégorie",
        ["Département", "Catégorie", "Places pour 1 000 habitants", "Sur un an", "Personnes en attente par place",
         "Sur un an"],
        [[d, c, number(p, 2), change(p, pb, lambda v: number(v, 2), y - 1),
          "< 5" if w is None else number(w, 2), "" if w is None else change(w, wb, lambda v: number(v, 2), y - 1)]
         for d, c, y, p, pb, w, wb in rows], numeric=(2, 4),
         layout=Layout(fold=12, why_empty="pas de population ni d’extrait FINESS dans le dossier de dépôt."))
    return key_figures(figures) + table


def build_territory_page(warehouse: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        offer, demand, coverage, sites = (query(con, sql) for sql in (OFFER_SQL, DEMAND_SQL, COVERAGE_TABLE_SQL,
                                                                        SITES_SQL))
        figures = figures_block(con)
    data = out_dir / "donnees"
    body = [figures, _offer_section(offer, data)]
    if sites:
        body.append(_map_section(sites))
    if demand:
        body.append(_demand_section(demand, data))
    if coverage:
        body.append(_coverage_section(coverage, data))
    path = out_dir / "territoire.html"
    path.write_text(page("Diagnostic territorial", "".join(body), plotly_script(out_dir),
                         "Offre (FINESS), demande (orientations MDPH) et couverture, et la place de la coopération."),
                    encoding="utf-8")
    return path


OFFER_SQL = """
    select department, category, category_label, establishments, gestionnaires, authorized_places,
           installed_places, cooperation_places, cooperation_share
    from marts.territory_offer order by department, authorized_places desc"""
DEMAND_SQL = """
    select department, category, year, waiting_persons, median_waiting_days, p90_waiting_days, admissions,
           small_cell
    from marts.territory_demand where year = (select max(year) from marts.territory_demand)
    order by department, category"""
COVERAGE_TABLE_SQL = """
    select department, category, year, authorized_places, inhabitants, places_per_1000, waiting_per_place,
           cooperation_file_active_per_place
    from marts.territory_coverage where year = (select max(year) from marts.territory_coverage)
    order by department, category"""
SITES_SQL = """
    select name, category, department, city, longitude, latitude, authorized_places, in_cooperation
    from marts.territory_establishments where longitude is not null and latitude is not null"""


def _offer_section(offer: list[tuple], data: Path) -> str:
    """The places per category (chart) and per department and category (table); a sentence without FINESS."""
    import plotly.graph_objects as go

    if not offer:
        return ("<p>Aucun extrait FINESS dans le dossier de dépôt (dossier <code>finess/</code>) : pas de "
                "diagnostic territorial.</p>")
    headers = ["Département", "Catégorie", "Libellé", "Établissements", "Gestionnaires", "Places autorisées",
               "Places installées", "Places de la coopération", "Part de la coopération"]
    write_xlsx(data / "territoire-offre.xlsx", "Offre", headers, [list(r) for r in offer],
               {5: "#,##0", 6: "#,##0", 7: "#,##0", 8: "0.0%"})
    by_category: dict[str, float] = {}
    for r in offer:
        by_category[r[1]] = by_category.get(r[1], 0) + (r[5] or 0)
    ordered = sorted(by_category.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[v for _, v in ordered], y=[k for k, _ in ordered], orientation="h",
                           hovertemplate="%{y} : %{x:,.0f} places<extra></extra>"))
    fig.update_layout(title="Places autorisées par catégorie", xaxis_title="Places autorisées", height=420)
    text = extremes(ordered, lambda v: number(v) + " places", "Places autorisées par catégorie")
    return "<h2>L'offre</h2>" + chart(fig, text) + data_table(
        "Offre par département et catégorie (FINESS)", headers,
        [[d, c, lbl or "", number(e), number(g), number(a), number(i), number(cp), percent(sh)]
         for d, c, lbl, e, g, a, i, cp, sh in offer],
        numeric=range(3, 9), download="donnees/territoire-offre.xlsx")


def _map_section(sites: list[tuple]) -> str:
    """Each ESMS placed by its coordinates on plain axes (no tile server), the cooperation's apart."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for in_coop, name in ((False, "Autres ESMS"), (True, "Membres et partenaires de la coopération")):
        points = [s for s in sites if bool(s[7]) == in_coop]
        fig.add_trace(go.Scatter(
            x=[p[4] for p in points], y=[p[5] for p in points], mode="markers", name=name,
            marker={"size": [max(6, min(30, (p[6] or 0) ** 0.5 * 2)) for p in points],
                    "symbol": "diamond" if in_coop else "circle"},
            text=[f"{p[0]} ({p[1]}, {p[3] or p[2]}) : {p[6]} places" for p in points],
            hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(title="Les ESMS placés par leurs coordonnées (taille : places autorisées)",
                      xaxis_title="Longitude", yaxis_title="Latitude", height=560)
    fig.update_yaxes(scaleanchor="x", scaleratio=1.4)
    placed = max(sites, key=lambda p: p[6] or 0)
    text = (f"{len(sites)} ESMS placés, dont {sum(1 for p in sites if p[7])} de la coopération ; le plus grand : "
            f"{placed[0]} ({placed[3] or placed[2]}, {number(placed[6] or 0)} places).")
    return "<h2>La carte</h2>" + chart(fig, text)


def _demand_section(demand: list[tuple], data: Path) -> str:
    """Persons waiting, their waiting days and the admissions of the last year (small cells: "< 5")."""
    headers = ["Département", "Catégorie", "Année", "Personnes en attente au 31/12", "Attente médiane (jours)",
               "Attente, 9e décile (jours)", "Admissions"]
    shown = [[d, c, y, SMALL if w is None else number(w), "" if m is None else number(m),
              "" if p is None else number(p), SMALL if a is None else number(a)]
             for d, c, y, w, m, p, a, _ in demand]
    write_xlsx(data / "territoire-demande.xlsx", "Demande", headers, shown)
    return "<h2>La demande</h2>" + data_table(
        "Orientations MDPH : attente et admissions (moins de 5 personnes : « < 5 »)", headers, shown,
        numeric=range(2, 7), download="donnees/territoire-demande.xlsx")


def _coverage_section(coverage: list[tuple], data: Path) -> str:
    """Places per 1,000 inhabitants of the age band, persons waiting and the cooperation's file active per place."""
    headers = ["Département", "Catégorie", "Année", "Places autorisées", "Habitants de la tranche d'âge",
               "Places pour 1 000 habitants", "Personnes en attente par place",
               "File active de la coopération par place"]
    shown = [[d, c, y, number(a), number(i), number(r, 2), number(w, 3), number(f, 2)]
             for d, c, y, a, i, r, w, f in coverage]
    write_xlsx(data / "territoire-couverture.xlsx", "Couverture", headers, shown)
    return "<h2>La couverture</h2>" + data_table(
        "Taux d'équipement et tension", headers, shown, numeric=range(2, 8),
        download="donnees/territoire-couverture.xlsx")
