"""The traceability section of couts.html (cost-method step 12): what share of the paid hours the activity
records, per ESMS and year and per profession, flagged under the warning threshold, with the staff cost of the
professionals who record no time. It tells the reader which of the two hourly costs to quote: the cost per
recorded hour (full cost / hours recorded) reads far above any real hourly rate when little time is recorded; the
cost per estimated hour (full cost / paid hours spread like the staff cost) is the cost of an hour of paid time.

Figures come from marts.traceability; this module lays them out.
"""

from __future__ import annotations

import html
from pathlib import Path

from reports.common import block, chart, dropdown, euros, percent, query, table_block

ESMS_ROW = "Ensemble de l'ESMS"
FLAG_COLOUR, OK_COLOUR = "#cf222e", "#1a7f37"

SQL = """
select t.finess_et, coalesce(e.name, t.finess_et) as name, t.year, t.profession, t.profession_label,
       t.professionals, t.paid_hours, t.recorded_hours, t.traceability, t.flagged, t.untraced_professionals,
       t.untraced_staff_cost, t.untraced_share, t.hours_without_staff, t.traceability_warning
from marts.traceability as t
left join core.establishments as e on e.finess_et = t.finess_et
order by t.finess_et, t.year desc, t.profession is not null, t.traceability nulls last, t.profession
"""

COLUMNS = [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Métier", "text"),
           ("Professionnels avec du temps enregistré", "int"), ("Heures rémunérées (ETP × heures annuelles)", "int"),
           ("Heures enregistrées", "int"), ("Traçabilité (heures enregistrées / rémunérées)", "ratio"),
           ("Sous le seuil d'alerte", "text"), ("Professionnels sans temps enregistré", "int"),
           ("Coût du personnel sans temps enregistré", "euro"), ("Part du coût du personnel", "ratio"),
           ("Heures de professionnels hors fichier du personnel", "int")]


def _bars(lines: list[tuple], labels: list[str], warning: float | None):
    import plotly.graph_objects as go

    return go.Bar(
        x=[r[8] for r in lines], y=labels, orientation="h",
        marker={"color": [FLAG_COLOUR if r[9] else OK_COLOUR for r in lines]},
        customdata=[[r[7], r[6], "sous le seuil" if r[9] else "au-dessus du seuil"] for r in lines],
        hovertemplate="%{y}<br>Traçabilité : %{x:.1%} (%{customdata[2]}"
                      + (f" de {percent(warning, 0)}" if warning is not None else "")
                      + ")<br>%{customdata[0]:,.0f} h enregistrées sur %{customdata[1]:,.0f} h rémunérées"
                        "<extra></extra>")


def _figure(rows: list[tuple], latest: dict[str, int], warning: float | None):
    import plotly.graph_objects as go

    groups = {}
    whole = [r for r in rows if r[3] is None and r[2] == latest[r[0]] and r[8] is not None]
    if whole:
        whole.sort(key=lambda r: r[8], reverse=True)
        groups["Tous les ESMS (dernier exercice)"] = [_bars(whole, [f"{r[1]} ({r[2]})" for r in whole], warning)]
    for finess, year in latest.items():
        # top to bottom: the ESMS as a whole, then its professions from the least traced (Plotly lists bars from the
        # bottom up)
        lines = sorted((r for r in rows if r[0] == finess and r[2] == year and r[8] is not None),
                       key=lambda r: (r[3] is not None, r[8]))[::-1]
        if lines:
            labels = [r[4] if r[3] is not None else ESMS_ROW for r in lines]
            groups[f"{lines[0][1]} ({year}), par métier"] = [_bars(lines, labels, warning)]
    if not groups:
        return None
    fig = go.Figure()
    dropdown(fig, groups, label="ESMS :")
    height = 200 + 28 * max(len(g[0].y) for g in groups.values())
    fig.update_layout(title="Traçabilité : part des heures rémunérées enregistrées en activité (rouge : sous le seuil)",
                      xaxis_title="Heures enregistrées / heures rémunérées", xaxis_tickformat=".0%",
                      height=height, margin={"l": 320}, showlegend=False)
    if warning is not None:
        fig.add_vline(x=warning, line_dash="dash", line_color="#6e7781",
                      annotation_text=f"seuil d'alerte {percent(warning, 0)}", annotation_position="top")
    return fig


def _transcript(rows, latest: dict[str, int], flagged: list, warning: float | None, names: dict[str, str]) -> str:
    """The chart in one or two sentences: the most and the least traced ESMS of the last year, and how many are
    under the threshold."""
    whole = sorted(((r[8], names.get(r[0], r[1])) for r in rows
                    if r[3] is None and r[2] == latest[r[0]] and r[8] is not None), reverse=True)
    if not whole:
        return "Aucune heure rémunérée connue : pas de traçabilité."
    text = f"Traçabilité du dernier exercice : la plus haute à {whole[0][1]}, {percent(whole[0][0])}"
    if len(whole) > 1:
        text += f" ; la plus basse à {whole[-1][1]}, {percent(whole[-1][0])}"
    text += "."
    if warning is not None:
        text += f" {len(flagged)} ESMS sous le seuil d'alerte de {percent(warning, 0)}."
    return text


def traceability_section(out_dir: Path, con, names: dict[str, str] | None = None) -> str:
    """The section "Traçabilité du temps" of couts.html: a chart (each ESMS, then each ESMS's professions, in a
    menu), the table per ESMS, year and profession, and what the two hourly costs mean. Empty without the mart."""
    rows = query(con, SQL)
    if not rows:
        return ""
    warning = rows[0][14]
    latest: dict[str, int] = {}
    for r in rows:
        latest[r[0]] = max(latest.get(r[0], r[2]), r[2])
    flagged = [r for r in rows if r[3] is None and r[9] and r[2] == latest[r[0]]]
    out = ["<h2>Traçabilité du temps de travail</h2>",
           "<p>Les heures enregistrées dans le dossier de l'usager ne couvrent qu'une partie des heures rémunérées. "
           "La traçabilité rapporte les heures enregistrées aux heures rémunérées (ETP × heures annuelles) des "
           "professionnels qui enregistrent du temps. Deux coûts horaires en découlent : le <strong>coût par heure "
           "enregistrée</strong> (coût complet / heures enregistrées) et le <strong>coût par heure estimée (heures "
           "rémunérées)</strong> (coût complet / heures rémunérées réparties comme le coût du personnel). Quand la "
           "traçabilité est faible, seul le second se compare à un coût horaire réel.</p>"]
    if flagged:
        listed = ", ".join(f"{html.escape((names or {}).get(r[0], r[1]))} ({percent(r[8])})" for r in flagged)
        out.append(f"<p><strong>Sous le seuil d'alerte de {percent(warning, 0)}</strong> au dernier exercice : "
                   f"{listed}. Le coût par heure enregistrée de ces ESMS surestime le coût d'une heure de travail.</p>")
    untraced = sum(r[11] or 0 for r in rows if r[3] is None and r[2] == latest[r[0]])
    if untraced:
        out.append(f"<p>Le personnel sans aucun temps enregistré (direction, services généraux...) représente "
                   f"{euros(untraced)} au dernier exercice ; son coût va à la section de son métier, il n'entre pas "
                   "dans la traçabilité.</p>")
    fig = _figure(rows, latest, warning)
    if fig is not None:
        out.append(chart(fig, _transcript(rows, latest, flagged, warning, names or {})))
    table = [[r[0], r[1], r[2], r[4] if r[3] is not None else ESMS_ROW, r[5], r[6], r[7], r[8],
              "oui" if r[9] else "", r[10], r[11], r[12], r[13]] for r in rows]
    shown = [t for t, r in zip(table, rows) if r[2] == latest[r[0]]]
    out.append(table_block(
        out_dir, "couts-tracabilite", "Traçabilité par ESMS, exercice et métier", COLUMNS,
        shown + [t for t, r in zip(table, rows) if r[2] != latest[r[0]]],
        layout=block(
            limit=len(shown),
            note="La page montre le dernier exercice de chaque ESMS ; le fichier Excel, tous. Un professionnel sans "
                 "temps enregistré n'entre pas dans la traçabilité ; les heures de partenaires ou bénévoles absents du "
                 "fichier du personnel comptent dans les heures estimées, pas dans la traçabilité. Seuil d'alerte et "
                 "heures annuelles d'un ETP : nomenclatures/cost_method_parameters.csv.")))
    return "".join(out)
