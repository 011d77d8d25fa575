"""pilotage.html: the cooperation's steering dashboard, for its board and COPIL. The finality and the frame, each
objective against its targets year after year with its status, each member's and partner's contribution, file
active and occupancy per ESMS, and the territory in one panel. Board-level: only the suppressed marts
(objectives_board, cooperation_contributions, indicators_board, territory_*), no person-level data, small cells
as "< 5".

It opens with the year's key figures (objectives met / on track / off track, file active, occupancy, the
cooperation's share of its departments' places) against the year before; each chart has its transcript. The
printed board pack (reports/pack.py) reuses `pilotage_body`."""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from reports.common import SMALL, Shown, block, chart, number, page, percent, plotly_script, query, status_badge, table_block
from reports.narrative import KeyFigure, change, extremes, key_figures

STATUS = {"met": "Atteint", "on_track": "En bonne voie", "off_track": "Hors trajectoire", "no_data": "Pas de donnée"}
PLURAL = {"met": "atteints", "on_track": "en bonne voie", "off_track": "hors trajectoire", "no_data": "sans donnée"}
STATUS_COLOUR = {"met": "#1a7f37", "on_track": "#9a6700", "off_track": "#cf222e", "no_data": "#6e7781"}
UNIT_KIND = {"ratio": "ratio", "euros": "euro", "count": "int"}
SCOPE = {"platform": "Ensemble des ESMS", "cooperation": "Coopération"}
KIND_LABEL = {"membre": "Membre", "partenaire": "Partenaire", "autre_partenaire": "Autre partenaire"}


def figure_value(text):
    """A board mart's figure held as text ("0.35", or "< 5"): a number for a chart, None for a small cell."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _frame_section(frame: list[tuple]) -> str:
    coop = [r for r in frame if r[0] == "cooperation"]
    members = [r for r in frame if r[0] == "membre"]
    partners = [r for r in frame if r[0] == "partenaire"]
    strategic = [r for r in frame if r[0] == "objectif_strategique"]
    out = []
    if coop and coop[0][4]:
        out.append(f'<p><strong>Finalité :</strong> {html.escape(coop[0][4])}</p>')
    out.append("<p><strong>Membres :</strong> " + ", ".join(
        f"{html.escape(label or i)} ({html.escape(detail or '')})" for _, _, i, label, detail in members) + "</p>")
    if partners:
        out.append("<p><strong>Partenaires :</strong> " + ", ".join(
            html.escape(label or i) for _, _, i, label, _ in partners) + "</p>")
    if strategic:
        out.append("<p><strong>Objectifs stratégiques :</strong> " + " ; ".join(
            f"{html.escape(i)} — {html.escape(label or '')}" for _, _, i, label, _ in strategic) + "</p>")
    return "".join(out)


def _objectives_section(out_dir: Path, objectives: list[tuple]) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ids = list(dict.fromkeys(r[0] for r in objectives))
    labels = {r[0]: r[1] for r in objectives}
    fig = make_subplots(rows=len(ids), cols=1, subplot_titles=[f"{i} — {labels[i]}" for i in ids],
                        vertical_spacing=min(0.08, 0.5 / max(1, len(ids))))
    for n, objective in enumerate(ids, start=1):
        rows = sorted((r for r in objectives if r[0] == objective), key=lambda r: r[4])
        unit = rows[0][3]
        fmt = ".1%" if unit == "ratio" else ",.0f"
        fig.add_trace(go.Scatter(x=[r[4] for r in rows], y=[r[5] for r in rows], mode="lines+markers",
                                 name="Cible", line={"dash": "dash", "color": "#6e7781"}, showlegend=n == 1,
                                 hovertemplate=f"Cible %{{x}} : %{{y:{fmt}}}<extra></extra>"), row=n, col=1)
        fig.add_trace(go.Scatter(x=[r[4] for r in rows], y=[r[6] for r in rows], mode="lines+markers",
                                 name="Réalisé", showlegend=n == 1, line={"color": "#0969da"},
                                 marker={"size": 11, "color": [STATUS_COLOUR[r[8]] for r in rows]},
                                 text=[STATUS[r[8]] for r in rows],
                                 hovertemplate=f"Réalisé %{{x}} : %{{y:{fmt}}} (%{{text}})<extra></extra>"),
                      row=n, col=1)
        fig.update_yaxes(tickformat=".0%" if unit == "ratio" else ",.0f", row=n, col=1)
        fig.update_xaxes(dtick=1, row=n, col=1)
    fig.update_layout(title="Objectifs opérationnels : réalisé et cible par exercice (couleur : statut)",
                      height=260 * len(ids) + 80)
    return ("<h2>Objectifs</h2>" + chart(fig, _objectives_transcript(objectives))
            + objectives_table(out_dir, "pilotage-objectifs", objectives))


def _objectives_transcript(objectives: list[tuple]) -> str:
    last = max(r[4] for r in objectives)
    latest = [r for r in objectives if r[4] == last]
    counts = {s: sum(r[8] == s for r in latest) for s in STATUS}
    words = ", ".join(f"{counts[s]} {PLURAL[s] if counts[s] > 1 else STATUS[s].lower()}" for s in STATUS if counts[s])
    text = f"{len(latest)} objectifs en {last} : {words}."
    off = [r for r in latest if r[8] == "off_track" and r[9] and r[7] is not None]
    if off:
        worst = max(off, key=lambda r: abs(r[7]) / (abs(r[5] or 0) or 1))
        text += (f" Le plus éloigné de sa cible : {worst[0]} — {worst[1]} ({_unit_value(worst[6], worst[3])} pour "
                 f"une cible de {_unit_value(worst[5], worst[3])}).")
    return text


def _unit_value(value, unit: str) -> str:
    if value is None:
        return ""
    return percent(value) if unit == "ratio" else number(value)


OBJECTIVES_SQL = """
    select o.objective_id, o.label, o.scope, coalesce(u.unit, 'ratio'), o.year, o.target, o.actual, o.gap,
           o.status, o.shown
    from marts.objectives_board as o
    left join (select distinct indicator_id, unit from marts.indicators) as u on u.indicator_id = o.indicator_id
    order by o.objective_id, o.year"""


def objectives_table(out_dir: Path, name: str, objectives: list[tuple]) -> str:
    """The objectives (OBJECTIVES_SQL rows) as the board sees them: target, actual, gap, status in French."""
    def cell(value, unit: str, gap: bool = False):
        return Shown(value, ("points" if gap else "ratio") if unit == "ratio" else UNIT_KIND.get(unit, "dec2"))

    return table_block(
        out_dir, name, "Objectifs : cible, réalisé et statut",
        [("Objectif", "text"), ("Libellé", "text"), ("Périmètre", "text"), ("Exercice", "text"), ("Cible", "dec2"),
         ("Réalisé", "dec2"), ("Écart", "dec2"), ("Statut", "text")],
        [[r[0], r[1], SCOPE.get(r[2], r[2]), r[4], cell(r[5], r[3]),
          cell(r[6], r[3]) if r[9] else SMALL, cell(r[7], r[3], gap=True) if r[9] else SMALL,
          status_badge(r[8], STATUS[r[8]])] for r in objectives],
        layout=block(
            note="Taux en pourcentage, écarts des taux en points. « < 5 » : moins de 5 personnes, chiffre masqué."))


def _contributions_section(out_dir: Path, rows: list[tuple]) -> str:
    import plotly.graph_objects as go

    last = max(r[0] for r in rows)
    shown = sorted((r for r in rows if r[0] == last and r[9]), key=lambda r: r[4] or 0)
    fig = go.Figure(go.Bar(
        x=[r[4] for r in shown], y=[r[3] for r in shown], orientation="h",
        marker={"color": ["#0969da" if r[1] == "membre" else "#8250df" for r in shown]},
        customdata=[[KIND_LABEL[r[1]], (r[6] or 0) * 100, (r[7] or 0) * 100, r[8]] for r in shown],
        hovertemplate="%{y} (%{customdata[0]}) : %{x:,.0f} h, %{customdata[3]} personnes, "
                      "%{customdata[2]:.1f} % des heures, %{customdata[1]:.1f} % en milieu ordinaire<extra></extra>"))
    fig.update_layout(title=f"Heures directes apportées par chaque membre et partenaire en {last}",
                      xaxis_title="Heures directes (2.x)", height=140 + 32 * len(shown))
    table = table_block(
        out_dir, "pilotage-contributions", "Contribution des membres et partenaires",
        [("Exercice", "text"), ("Type", "text"), ("Identifiant", "text"), ("Nom", "text"),
         ("Heures directes", "int"), ("Heures en milieu ordinaire", "int"), ("Part en milieu ordinaire", "ratio"),
         ("Part des heures de la coopération", "ratio"), ("Personnes", "int")],
        [[r[0], KIND_LABEL[r[1]], r[2], r[3]] + (list(r[4:9]) if r[9] else [SMALL] * 5)
         for r in sorted(rows, key=lambda r: (r[0], r[1], -(r[4] or 0)))],
        layout=block(note="Heures des activités des membres, attribuées au partenaire quand la ligne en nomme un."))
    text = extremes([(r[3], r[4]) for r in shown], lambda v: number(v) + " h",
                    f"Heures directes apportées en {last}")
    return "<h2>Contribution des membres et partenaires</h2>" + chart(fig, text) + table


def _activity_section(out_dir: Path, rows: list[tuple]) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    last = max(r[2] for r in rows)
    latest = [r for r in rows if r[2] == last]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"File active {last}", f"Taux d'occupation {last}"])
    for col, index, fmt in ((1, 3, ",.0f"), (2, 4, ".1%")):
        ordered = sorted((r for r in latest if figure_value(r[index]) is not None),
                         key=lambda r: figure_value(r[index]))
        fig.add_trace(go.Bar(x=[figure_value(r[index]) for r in ordered], y=[r[1] for r in ordered],
                             orientation="h", showlegend=False,
                             hovertemplate=f"%{{y}} : %{{x:{fmt}}}<extra></extra>"), row=1, col=col)
    fig.update_xaxes(title_text="Personnes", row=1, col=1)
    fig.update_xaxes(title_text="Journées réalisées / journées théoriques", tickformat=".0%", row=1, col=2)
    fig.update_layout(title="Activité par ESMS", height=160 + 34 * len(latest))
    table = table_block(
        out_dir, "pilotage-activite", "File active et occupation par ESMS",
        [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("File active", "int"),
         ("Taux d'occupation", "ratio")],
        [[r[0], r[1], r[2], figure_value(r[3]) if figure_value(r[3]) is not None else (r[3] or ""),
          figure_value(r[4]) if figure_value(r[4]) is not None else (r[4] or "")] for r in rows])
    text = (extremes([(r[1], figure_value(r[3])) for r in latest], number, f"File active {last}") + " "
            + extremes([(r[1], figure_value(r[4])) for r in latest], percent, f"Taux d’occupation {last}"))
    return "<h2>Activité des ESMS</h2>" + chart(fig, text) + table


def _territory_section(out_dir: Path, offer: list[tuple], coverage: list[tuple]) -> str:
    cover = {(d, c): (r, w) for d, c, r, w in coverage}
    rows = [[d, c, label or "", places, coop_places, share, *list(cover.get((d, c), (None, None)))]
            for d, c, label, places, coop_places, share in offer]
    return ("<h2>Le territoire</h2>" + table_block(
        out_dir, "pilotage-territoire", "Offre du territoire et place de la coopération",
        [("Département", "text"), ("Catégorie", "text"), ("Libellé", "text"), ("Places autorisées", "int"),
         ("Places de la coopération", "int"), ("Part de la coopération", "ratio"),
         ("Places pour 1 000 habitants", "dec2"), ("Personnes en attente par place", "dec2")], rows)
        + '<p class="note">Le détail (demande, carte) : <a href="territoire.html">diagnostic territorial</a>.</p>')


def _scope_figure(con, indicator: str) -> list[tuple]:
    """(year, value) of an indicator of the cooperation (the platform's when there is none), latest first."""
    return query(con, """
        select year, value from marts.indicators_board
        where indicator_id = ? and scope = (select case when count(*) filter (where scope = 'cooperation') > 0
                                                         then 'cooperation' else 'platform' end
                                            from marts.indicators_board where indicator_id = ?)
        order by year desc limit 2""", [indicator, indicator])


def key_figures_of(con) -> list[KeyFigure]:
    """The steering dashboard's key figures: objectives by status in the last year, the cooperation's file active
    and occupancy (the platform's without a cooperation), its share of its departments' authorised places."""
    out = []
    objectives = query(con, "select year, status, count(*) from marts.objectives_board group by all")
    if objectives:
        last = max(r[0] for r in objectives)
        count = {(y, s): n for y, s, n in objectives}
        for status, tone in (("met", "good"), ("on_track", "warn"), ("off_track", "bad")):
            before = count.get((last - 1, status), 0) if any(y == last - 1 for y, _, _ in objectives) else None
            out.append(KeyFigure(f"objectives_{status}", f"Objectifs {PLURAL[status]} en {last}",
                                 number(count.get((last, status), 0)),
                                 change(count.get((last, status), 0), before, number, last - 1, count=True), tone))
    for indicator, label, fmt, rate in (("file_active", "File active", number, False),
                                        ("occupancy_rate", "Taux d’occupation", percent, True)):
        rows = _scope_figure(con, indicator)
        if rows:
            (year, value), previous = rows[0], rows[1] if len(rows) > 1 else (None, None)
            current = figure_value(value)
            out.append(KeyFigure(indicator, f"{label} {year}", fmt(current) if current is not None else SMALL,
                                 change(current, figure_value(previous[1]), fmt, previous[0], rate)))
    share = query(con, """
        select coalesce(sum(cooperation_places), 0), sum(authorized_places) from marts.territory_offer
        where department in (select department from marts.territory_establishments where in_cooperation)""")
    if share and share[0][1]:
        out.append(KeyFigure("cooperation_share", "Part de la coopération dans les places de ses départements",
                             percent(share[0][0] / share[0][1]),
                             f"{number(share[0][0])} places sur {number(share[0][1])} (FINESS)"))
    return out


def pilotage_body(con, out_dir: Path) -> tuple[str, str]:
    """The page's title and body (key figures first), its tables' Excel files written under out_dir."""
    frame = query(con, "select item_kind, item_no, item_id, label, detail from marts.cooperation_frame "
                       "order by item_kind, item_no")
    objectives = query(con, OBJECTIVES_SQL)
    contributions = query(con, """
        select year, contributor_kind, contributor_id, contributor_name, direct_hours, ordinary_setting_hours,
               ordinary_share, share_of_hours, persons, shown
        from marts.cooperation_contributions order by year, contributor_kind, contributor_id""")
    members = [r[2] for r in frame if r[0] == "membre"]
    # the members' ESMS; every ESMS of the warehouse when there is no cooperation frame
    activity = query(con, """
        select b.scope, coalesce(e.name, b.scope), cast(b.year as varchar),
               max(case when b.indicator_id = 'file_active' then b.value end),
               max(case when b.indicator_id = 'occupancy_rate' then b.value end)
        from marts.indicators_board as b
        inner join core.establishments as e on e.finess_et = b.scope
        where len(?::varchar[]) = 0 or list_contains(?::varchar[], b.scope)
        group by all order by 1, 3""", [members, members])
    departments = query(con, "select distinct department from marts.territory_establishments "
                             "where in_cooperation")
    dep = [d for (d,) in departments]
    offer = query(con, """
        select department, category, category_label, authorized_places, cooperation_places, cooperation_share
        from marts.territory_offer where department in (select unnest(?::varchar[]))
        order by department, authorized_places desc""", [dep])
    coverage = query(con, """
        select department, category, places_per_1000, waiting_per_place from marts.territory_coverage
        where year = (select max(year) from marts.territory_coverage)""")
    name = next((r[3] for r in frame if r[0] == "cooperation"), None)
    body = [key_figures(key_figures_of(con))]
    if not frame:
        body.append("<p>Aucun fichier <code>cooperation.yaml</code> dans le dossier de dépôt : pas de cadre de "
                    "coopération (membres, objectifs). L'activité de chaque ESMS suit.</p>")
    else:
        body.append(_frame_section(frame))
    if objectives:
        body.append(_objectives_section(out_dir, objectives))
    if contributions:
        body.append(_contributions_section(out_dir, contributions))
    if activity:
        body.append(_activity_section(out_dir, activity))
    if offer:
        body.append(_territory_section(out_dir, offer, coverage))
    return "Tableau de bord de pilotage" + (f" — {name}" if name else ""), "".join(body)


SUBTITLE = "Pour le comité de pilotage : aucune donnée individuelle ; moins de 5 personnes : « < 5 »."


def build_pilotage_page(warehouse: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        title, body = pilotage_body(con, out_dir)
    path = out_dir / "pilotage.html"
    path.write_text(page(title, body, plotly_script(out_dir), SUBTITLE), encoding="utf-8")
    return path
