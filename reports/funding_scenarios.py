"""The funding scenarios section of couts.html: per scenario the funding of each ESMS against today's allocation,
the winners and losers, the sensitivity as a tornado (one rule moved by ±s), the table of each, and the rules as
written with a link to each scenario's live workbook (reports/simulator.py).

Figures come from marts.funding_scenario, marts.funding_sensitivity and marts.funding_scenarios; this module lays
them out.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from reports.common import chart, dropdown, euros, query, table_block
from reports.narrative import extremes, others_in_menu

TOTALS_SQL = """
select scenario, finess_et, year, name, category, baseline_funding, scenario_funding, delta, delta_share,
       funding_low, funding_high, most_sensitive_rule
from marts.funding_scenario order by scenario, finess_et, year"""

SENSITIVITY_SQL = """
select scenario, finess_et, year, rule, direction, scenario_funding
from marts.funding_sensitivity order by scenario, finess_et, year, rule_no"""


def funding_scenarios_section(out_dir: Path, con, names: dict[str, str]) -> str:
    """The section (nothing when no scenario was run): the last year's charts, every year's figures as tables."""
    totals = query(con, TOTALS_SQL)
    if not totals:
        return ""
    definitions = query(con, "select scenario, file, description, definition from marts.funding_scenarios "
                             "order by file")
    sensitivity = query(con, SENSITIVITY_SQL)
    last = max(r[2] for r in totals)
    latest = [r for r in totals if r[2] == last]
    return "".join([
        "<h2>Scénarios de financement</h2>",
        _comparison(latest, last),
        _winners(latest, last),
        table_block(
            out_dir, "couts-scenarios", "Financement par scénario, ESMS et exercice",
            [("Scénario", "text"), ("FINESS", "text"), ("Exercice", "text"), ("ESMS", "text"), ("Catégorie", "text"),
             ("Dotation actuelle", "euro"), ("Financement du scénario", "euro"), ("Écart", "euro"),
             ("Écart relatif", "ratio"), ("Bas (une règle à −s)", "euro"), ("Haut (une règle à +s)", "euro"),
             ("Règle la plus sensible", "text")], totals),
        _tornado(latest, sensitivity, last, names),
        table_block(
            out_dir, "couts-sensibilite", "Sensibilité : financement du scénario, une règle déplacée",
            [("Scénario", "text"), ("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Règle", "text"),
             ("Sens", "text"), ("Financement du scénario", "euro")],
            [[s, f, names.get(f, ""), y, r, "−s" if d == "down" else "+s", v]
             for s, f, y, r, d, v in sensitivity if y == last]),
        *_rules(definitions),
    ])


def _comparison(latest: list[tuple], last) -> str:
    """Today's allocation and each scenario's funding per ESMS, grouped bars."""
    import plotly.graph_objects as go

    comparison = go.Figure()
    for scenario in dict.fromkeys(r[0] for r in latest):
        lines = [r for r in latest if r[0] == scenario]
        comparison.add_trace(go.Bar(x=[r[3] or r[1] for r in lines], y=[r[6] for r in lines], name=scenario,
                                    hovertemplate="%{x} : %{y:,.0f} €<extra>" + html.escape(scenario) + "</extra>"))
    baseline = {r[1]: r for r in latest}
    comparison.add_trace(go.Bar(x=[r[3] or r[1] for r in baseline.values()], y=[r[5] for r in baseline.values()],
                                name="Dotation actuelle", marker={"color": "#6e7781"},
                                hovertemplate="%{x} : %{y:,.0f} €<extra>Dotation actuelle</extra>"))
    comparison.update_layout(barmode="group", title=f"Dotation actuelle et financement de chaque scénario en {last}",
                             yaxis_title="€", yaxis_tickformat=",.0f", height=460)
    return chart(comparison, " ".join(
        extremes([(r[3] or r[1], r[6]) for r in latest if r[0] == sc], euros, f"Financement du scénario « {sc} »")
        for sc in dict.fromkeys(r[0] for r in latest)))


def _winners(latest: list[tuple], last) -> str:
    """Each ESMS's gap to today's allocation, one scenario at a time (a menu)."""
    import plotly.graph_objects as go

    winners = go.Figure()
    groups = {}
    for scenario in dict.fromkeys(r[0] for r in latest):
        lines = sorted((r for r in latest if r[0] == scenario and r[7] is not None), key=lambda r: r[7])
        groups[scenario] = [go.Bar(
            x=[r[7] for r in lines], y=[r[3] or r[1] for r in lines], orientation="h",
            marker={"color": ["#1a7f37" if r[7] >= 0 else "#cf222e" for r in lines]},
            customdata=[(r[8] or 0) * 100 for r in lines],
            hovertemplate="%{y} : %{x:+,.0f} € (%{customdata:+.1f} %)<extra></extra>")]
    dropdown(winners, groups)
    establishments = len({r[1] for r in latest})
    winners.update_layout(title=f"Gagnants et perdants en {last} : écart au financement actuel",
                          xaxis_title="Écart (€)", xaxis_tickformat=",.0f", height=200 + 40 * establishments)
    return chart(winners, " ".join(
        f"Scénario « {sc} » : {sum(1 for r in latest if r[0] == sc and (r[7] or 0) > 0)} ESMS gagnants, "
        f"{sum(1 for r in latest if r[0] == sc and (r[7] or 0) < 0)} perdants ; écart total "
        f"{euros(sum(r[7] or 0 for r in latest if r[0] == sc))}." for sc in groups))


def _tornado(latest: list[tuple], sensitivity: list[tuple], last, names: dict[str, str]) -> str:
    """For each scenario and ESMS, the funding when one rule moves by ±s: the twelve rules that move it most."""
    import plotly.graph_objects as go

    tornado = go.Figure()
    groups = {}
    central = {(r[0], r[1]): r[6] for r in latest}
    for scenario, finess in dict.fromkeys((r[0], r[1]) for r in sensitivity if r[2] == last):
        moved = {}
        for r in sensitivity:
            if r[0] == scenario and r[1] == finess and r[2] == last:
                moved.setdefault(r[3], {})[r[4]] = r[5]
        base = central.get((scenario, finess)) or 0
        ranked = sorted(moved.items(), key=lambda kv: abs(kv[1].get("up", base) - kv[1].get("down", base)))[-12:]
        groups[f"{scenario} — {names.get(finess, finess)}"] = [
            go.Bar(y=[k for k, _ in ranked], x=[v.get(d, base) - base for _, v in ranked], base=base,
                   orientation="h", name="Règle à " + ("−s" if d == "down" else "+s"),
                   marker={"color": "#cf222e" if d == "down" else "#1a7f37"},
                   customdata=[v.get(d, base) for _, v in ranked],
                   hovertemplate="%{y} : %{customdata:,.0f} €<extra></extra>")
            for d in ("down", "up")]
    dropdown(tornado, groups)
    tornado.update_layout(barmode="overlay", title=f"Sensibilité en {last} : le financement quand une règle bouge "
                                                   "de ±s (diagramme en tornade)",
                          xaxis_title="Financement du scénario (€)", xaxis_tickformat=",.0f", height=520,
                          margin={"l": 220})
    first = next(iter(groups), None)
    return chart(tornado, "" if first is None or not len(groups[first][0].y) else (
        f"{first} : la règle qui déplace le plus le financement est « {groups[first][0].y[-1]} »."
        + others_in_menu(groups)))


def _rules(definitions: list[tuple]) -> list[str]:
    """Each scenario's live workbook and its rules as written."""
    out = []
    for scenario, file, description, definition in definitions:
        pretty = json.dumps(json.loads(definition), ensure_ascii=False, indent=2) if definition else ""
        # the scenario's live workbook (reports/simulator.py)
        out.append(f'<p><a class="xlsx" href="simulateur/{html.escape(Path(file).stem)}.xlsx">Simulateur du scénario '
                   f"« {html.escape(scenario)} » (Excel)</a> : changer un tarif et voir le financement de chaque ESMS.</p>")
        out.append(f"<details><summary>Règles du scénario « {html.escape(scenario)} » ({html.escape(file)}), "
                   f"telles qu'écrites</summary><p>{html.escape(description or '')}</p>"
                   f"<pre>{html.escape(pretty)}</pre></details>")
    return out
