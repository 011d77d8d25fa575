"""qualite.html, the quality team's report for the annual evaluation: every indicator of the catalogue with its
numerator and denominator, grouped by HAS theme, year on year; needs coverage by need domain; the objectives.
It reads the board marts (small cells as "< 5"), so it can be shown outside the team.

The follow-up lists and the parcours name (pseudonymised) persons: they go to `restreint/`, one Excel file per
list and a page listing them, for the team's own use. No page outside `restreint/` links to it.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from reports.common import (
    SMALL,
    Shown,
    block,
    chart,
    data_table,
    euros,
    number,
    page,
    percent,
    plotly_script,
    query,
    table_block,
    write_xlsx,
)
from reports.narrative import KeyFigure, change, extremes, key_figures
from reports.pilotage import OBJECTIVES_SQL, figure_value, objectives_table

RESTRICTED = "restreint"
UNIT_KIND = {"ratio": "ratio", "euros": "euro", "count": "int"}
UNIT_FORMAT = {"ratio": percent, "euros": euros, "count": number}
# the follow-up lists counted on the page (persons, never who): key, mart, label
FOLLOWUP = [("plans", "followup_plans_not_reviewed", "Personnes dont le projet personnalisé n’a pas été actualisé"),
            ("needs", "followup_uncovered_needs", "Personnes avec un besoin évalué sans prestation alignée"),
            ("ruptures", "followup_ruptures", "Personnes avec une rupture de parcours de plus de 60 jours")]

# the restricted lists: file, title, mart, French headers (the mart's columns in order)
LISTS = [
    ("projets-non-actualises", "Projets personnalisés non actualisés dans l'année", "followup_plans_not_reviewed",
     ["FINESS", "Exercice", "Personne (pseudonyme)", "À actualiser avant le", "Dernière actualisation",
      "Jours depuis"]),
    ("besoins-non-couverts", "Besoins évalués sans prestation alignée", "followup_uncovered_needs",
     ["FINESS", "Exercice", "Personne (pseudonyme)", "Besoin", "Niveau", "Évalué le"]),
    ("ruptures", "Ruptures de parcours (plus de 60 jours sans accompagnement)", "followup_ruptures",
     ["FINESS", "Exercice", "Personne (pseudonyme)", "Du", "Au", "Jours"]),
    ("parcours", "Parcours des personnes", "parcours",
     ["Personne (pseudonyme)", "Exercice", "ESMS qui accompagnent", "Accompagnée par", "Séjours", "Modalités",
      "Heures directes", "Heures en milieu ordinaire", "Heures avec un partenaire", "Besoins couverts",
      "Besoins non couverts", "Plus longue interruption (jours)", "Coût total", "ESMS dont le coût est connu"]),
]


def _moved(unit: str, value, change_) -> float:
    """How far an indicator moved: a rate in points, another figure relative to the year before."""
    value, change_ = figure_value(value), figure_value(change_)
    if value is None or change_ is None:
        return -1.0
    if unit == "ratio":
        return abs(change_)
    before = value - change_
    return abs(change_ / before) if before else -1.0


def quality_figures(con) -> list[KeyFigure]:
    """The indicators of all ESMS together that moved most on the year before (three), then the persons on each
    follow-up list in the last year (counts only; fewer than 5: "< 5")."""
    rows = query(con, """
        select indicator_id, label, unit, year, value, change from marts.indicators_board
        where scope = 'platform' and shown and year = (select max(year) from marts.indicators_board)""")
    out = []
    for indicator, label, unit, year, value, moved in sorted(rows, key=lambda r: -_moved(r[2], r[4], r[5]))[:3]:
        fmt = UNIT_FORMAT.get(unit, lambda v: number(v, 2))
        current, delta = figure_value(value), figure_value(moved)
        out.append(KeyFigure(f"indicator|{indicator}", f"{label} en {year}", fmt(current),
                             change(current, None if delta is None or current is None else current - delta, fmt, year - 1,
                                    rate=unit == "ratio")))
    last = query(con, "select max(year) from marts.indicators_board")
    if not last or last[0][0] is None:
        return out
    year = last[0][0]
    for key, mart, label in FOLLOWUP:
        counts = dict(query(con, f"select year, count(distinct person_id) from marts.{mart} "
                                 "where year in (?, ?) group by year", [year, year - 1]))
        now = counts.get(year, 0)
        shown = SMALL if 0 < now < 5 else number(now)
        before = counts.get(year - 1, 0)
        out.append(KeyFigure(f"followup|{key}", f"{label} en {year}", shown,
                             "" if 0 < now < 5 or 0 < before < 5 else change(now, before, number, year - 1, count=True),
                             "warn" if now else "good"))
    return out


def _figure(text, kind: str):
    """A board figure (text) for the table: a number, or the "< 5" of a small cell as it is."""
    value = figure_value(text)
    if value is None:
        return text or ""
    return value if kind != "int" else round(value)


def _indicators(out_dir: Path, con, themes: dict[str, str]) -> str:
    import plotly.graph_objects as go

    rows = query(con, """
        select has_theme, indicator_id, label, unit, scope, year, value, numerator, denominator, change
        from marts.indicators_board
        order by has_theme, indicator_id, case scope when 'platform' then 0 when 'cooperation' then 1 else 2 end,
                 scope, year""")
    names = dict(query(con, "select finess_et, name from core.establishments"))
    out = ["<h2>Indicateurs par thème de l'évaluation</h2>"]
    for theme in dict.fromkeys(r[0] for r in rows):
        lines = [r for r in rows if r[0] == theme]
        platform = [r for r in lines if r[4] == "platform" and r[3] == "ratio"]
        title = themes.get(theme, theme)
        out.append(f"<h3>{html.escape(title)}</h3>")
        if platform:
            fig = go.Figure()
            for year in sorted({r[5] for r in platform}):
                year_rows = [r for r in platform if r[5] == year]
                fig.add_trace(go.Bar(x=[r[2] for r in year_rows], y=[figure_value(r[6]) for r in year_rows],
                                     name=str(year), hovertemplate="%{x} : %{y:.1%}<extra>" + str(year) + "</extra>"))
            fig.update_layout(barmode="group", title=f"{title} : taux de l'ensemble des ESMS, par exercice",
                              yaxis_tickformat=".0%", yaxis_title="Taux", height=420)
            last = max(r[5] for r in platform)
            mover = max(platform, key=lambda r: _moved("ratio", r[6], r[9]) if r[5] == last else -2)
            text = extremes([(r[2], figure_value(r[6])) for r in platform if r[5] == last], percent,
                            f"Taux de l’ensemble des ESMS en {last}")
            if figure_value(mover[9]) is not None and mover[5] == last:
                now = figure_value(mover[6])
                moved = change(now, now - figure_value(mover[9]), percent, last - 1, rate=True)
                text += f" Le plus grand mouvement sur un an : {mover[2]}, {moved}."
            out.append(chart(fig, text))
        scope_label = {"platform": "Ensemble des ESMS", "cooperation": "Coopération"}
        table_rows = []
        for r in lines:
            kind = UNIT_KIND.get(r[3], "dec2")
            moved = _figure(r[9], kind)
            table_rows.append([r[1], r[2], scope_label.get(r[4], f"{names.get(r[4], '')} ({r[4]})"), r[5],
                               Shown(_figure(r[6], kind), kind), _figure(r[7], "dec2" if kind == "ratio" else kind),
                               _figure(r[8], "dec2" if kind == "ratio" else kind),
                               Shown(moved, "points" if kind == "ratio" else kind)])
        slug = "qualite-" + "".join(c if c.isalnum() else "-" for c in theme).strip("-")
        out.append(table_block(
            out_dir, slug, f"{title} : valeur, numérateur et dénominateur",
            [("Indicateur", "text"), ("Libellé", "text"), ("Périmètre", "text"), ("Exercice", "text"),
             ("Valeur", "dec2"), ("Numérateur", "dec2"), ("Dénominateur", "dec2"), ("Évolution sur un an", "dec2")],
            table_rows,
            layout=block(note="Taux en pourcentage, leur évolution en points. « < 5 » : moins de 5 personnes.")))
    return "".join(out)


def _needs(out_dir: Path, con) -> str:
    import plotly.graph_objects as go

    rows = query(con, """
        select scope, year, family_code, family_label, domain_code, domain_label, needs, covered, coverage_rate,
               persons, shown
        from marts.needs_coverage_by_domain where scope = 'platform' order by year desc, domain_code""")
    if not rows:
        return ""
    last = rows[0][1]
    latest = sorted((r for r in rows if r[1] == last and r[10]), key=lambda r: r[8])
    fig = go.Figure(go.Bar(
        x=[r[8] for r in latest], y=[f"{r[4]} {r[5][:70]}" for r in latest], orientation="h",
        customdata=[[r[7], r[6]] for r in latest],
        hovertemplate="%{y}<br>%{x:.1%} : %{customdata[0]} besoins couverts sur %{customdata[1]}<extra></extra>"))
    fig.update_layout(title=f"Couverture des besoins par domaine en {last} (ensemble des ESMS)",
                      xaxis_title="Besoins couverts / besoins évalués (niveau 1 ou plus)", xaxis_tickformat=".0%",
                      height=180 + 30 * len(latest), margin={"l": 520})
    table = table_block(
        out_dir, "qualite-besoins", "Couverture des besoins par domaine",
        [("Exercice", "text"), ("Famille", "text"), ("Libellé de la famille", "text"), ("Domaine", "text"),
         ("Libellé officiel", "text"), ("Besoins évalués", "int"), ("Besoins couverts", "int"),
         ("Taux de couverture", "ratio"), ("Personnes", "int")],
        [[r[1], r[2], r[3], r[4], r[5]] + (list(r[6:10]) if r[10] else [SMALL] * 4) for r in rows])
    text = extremes([(f"{r[4]} {r[5]}", r[8]) for r in latest], percent, f"Couverture des besoins en {last}")
    return "<h2>Couverture des besoins</h2>" + chart(fig, text) + table


def _objectives(out_dir: Path, con) -> str:
    rows = query(con, OBJECTIVES_SQL)
    if not rows:
        return ""
    return "<h2>Objectifs de la coopération</h2>" + objectives_table(out_dir, "qualite-objectifs", rows)


def build_restricted(warehouse: Path, out_dir: Path) -> Path:
    """restreint/: one Excel file per follow-up list and the parcours (pseudonymised person ids), and a page that
    lists them. For the quality team only: nothing outside this folder links here."""
    folder = out_dir / RESTRICTED
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, title, mart, headers in LISTS:
            rows = query(con, f"select * from marts.{mart} order by all")
            write_xlsx(folder / f"{name}.xlsx", title, headers, [list(r) for r in rows])
            items.append([title, str(len(rows)), f"{name}.xlsx"])
    body = ("<p><strong>Usage interne : listes nominatives (pseudonymes) pour le suivi par l'équipe qualité. Ne pas "
            "diffuser au conseil d'administration, au comité de pilotage ni en négociation CPOM.</strong></p>"
            + data_table("Listes de suivi", ["Liste", "Lignes", "Fichier"], items, numeric=(1,))
            + "<ul>" + "".join(f'<li><a href="{f}">{html.escape(t)}</a></li>' for t, _, f in items) + "</ul>")
    path = folder / "index.html"
    path.write_text(page("Listes de suivi (accès restreint)", body).replace(
        '<p class="note"><a href="index.html">Tous les rapports</a></p>', ""), encoding="utf-8")
    return path


def build_quality_page(warehouse: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        themes = dict(query(con, "select value, label from ref.enumerations where enumeration = 'has_theme'"))
        body = [key_figures(quality_figures(con)), _indicators(out_dir, con, themes), _needs(out_dir, con),
                _objectives(out_dir, con)]
    body.append('<p class="note">Les listes de suivi nominatives (projets à actualiser, besoins non couverts, '
                "ruptures, parcours) sont produites à part, dans le dossier « restreint » des rapports, pour "
                "l'équipe qualité seulement.</p>")
    path = out_dir / "qualite.html"
    path.write_text(page("Rapport qualité : évaluation de l'accompagnement", "".join(body), plotly_script(out_dir),
                         "Indicateurs avec numérateur et dénominateur, par thème de l'évaluation HAS ; "
                         "moins de 5 personnes : « < 5 »."), encoding="utf-8")
    return path
