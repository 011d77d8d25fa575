"""The CPOM negotiation pack: `cpom_annexe.xlsx` (one sheet per part of the financial annex) and `cpom.html`
(its summary), from the marts only: establishments and activity, costs per prestation, cost per place and per
person, indicators with numerators and denominators, objectives with their yearly targets, the five-year
trajectory and the chosen scenario. Board-level: no person id, and the indicators' small cells as the board
mart shows them ("< 5")."""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from reports.common import add_sheet, chart, data_table, empty, euros, number, page, percent, plotly_script
from reports.narrative import KeyFigure, change, key_figures, trend
from reports.simulator import KIND_LABELS

# Excel's own format codes (`,` groups thousands, `.` marks decimals): Excel and LibreOffice show them with the
# reader's French separators
EURO = '#,##0 "€"'
EURO2 = '#,##0.00 "€"'
INT = "#,##0"
DEC = "#,##0.0"
RATIO = "0.000"
FIGURE = "#,##0.00"

# labels in French: the board's scopes and each scenario rule by its kind (reports/simulator.py), prestation or need
SCOPE = "case b.scope when 'platform' then 'plateforme' when 'cooperation' then 'coopération' else b.scope end"
RULE = ("cast(d.rule_no as varchar) || '. ' || case d.kind "
        + " ".join(f"when '{kind}' then '{label.replace(chr(39), chr(39) * 2)}'" for kind, label in KIND_LABELS.items())
        + " else d.kind end || coalesce(' ' || coalesce(d.prestation_code, d.need_code), '')"
        + " || coalesce(' — ' || d.label, '')")

# sheet: (title, SQL over the marts, headers in French, Excel number format per column[, board figure columns])
SHEETS = [
    ("Établissements et activité", """
        select e.finess_et, e.name, e.category, e.department, r.year, e.authorized_places,
               fa.value as file_active, h.direct_hours, r.charges_in_scope
        from marts.cost_reconciliation as r
        join core.establishments as e using (finess_et)
        left join marts.indicators as fa
            on fa.scope = r.finess_et and fa.year = r.year and fa.indicator_id = 'file_active'
        left join (select finess_et, year, sum(professional_hours) as direct_hours from marts.cost_per_prestation
                   group by all) as h on h.finess_et = r.finess_et and h.year = r.year
        order by e.finess_et, r.year""",
     ["FINESS", "Établissement", "Catégorie", "Département", "Exercice", "Places autorisées", "File active",
      "Heures de prestations directes", "Charges retenues (€)"],
     {5: INT, 6: INT, 7: INT, 8: EURO}),
    ("Coûts par prestation", """
        select finess_et, year, prestation_code, prestation_label, professional_hours, persons, direct_cost,
               overhead_cost, full_cost, cost_per_hour
        from marts.cost_per_prestation order by finess_et, year, full_cost desc nulls last""",
     ["FINESS", "Exercice", "Prestation", "Libellé officiel", "Heures", "Personnes", "Coût direct (€)",
      "Quote-part de structure (€)", "Coût complet (€)", "Coût par heure enregistrée (€)"],
     {4: DEC, 5: INT, 6: EURO, 7: EURO, 8: EURO, 9: EURO2}),
    ("Coût par place et par personne", f"""
        select {SCOPE}, year, indicator_id, label, value, numerator, denominator
        from marts.indicators_board as b
        where indicator_id in ('cost_per_place', 'cost_per_person')
        order by scope, year, indicator_id""",
     ["Périmètre", "Exercice", "Indicateur", "Libellé", "Valeur (€)", "Numérateur (€)", "Dénominateur"],
     {4: EURO, 5: EURO, 6: INT}, (4, 5, 6)),
    ("Indicateurs", f"""
        select {SCOPE}, b.year, b.indicator_id, b.label, coalesce(t.label, b.has_theme), b.value, b.numerator,
               b.denominator
        from marts.indicators_board as b
        left join ref.enumerations as t on t.enumeration = 'has_theme' and t.value = b.has_theme
        order by b.scope, b.indicator_id, b.year""",
     ["Périmètre", "Exercice", "Indicateur", "Libellé", "Thème HAS", "Valeur", "Numérateur", "Dénominateur"],
     {5: FIGURE, 6: FIGURE, 7: FIGURE}, (5, 6, 7)),
    ("Objectifs", f"""
        select objective_id, label, indicator_id, {SCOPE}, year, target,
               case when shown then cast(actual as varchar) else '< 5' end,
               case when shown then cast(gap as varchar) else '< 5' end,
               case status when 'met' then 'Atteint' when 'on_track' then 'En bonne voie'
                           when 'off_track' then 'Hors trajectoire' when 'no_data' then 'Pas de donnée'
                           else status end
        from marts.objectives_board as b order by objective_id, year""",
     ["Objectif", "Libellé", "Indicateur", "Périmètre", "Exercice", "Cible", "Réalisé", "Écart", "Statut"],
     {5: RATIO, 6: FIGURE, 7: FIGURE}, (6, 7)),
    ("Trajectoire", None, [], {}),  # years as columns, totals as formulas: reports/cpom_annex.py
    ("Scénario retenu", f"""
        select d.scenario, d.finess_et, d.year, {RULE}, d.unit, d.units, d.tariff, d.amount, d.note
        from marts.funding_scenario_detail as d
        where d.scenario = (select max(target_scenario) from marts.cpom_trajectory)
           or ((select max(target_scenario) from marts.cpom_trajectory) is null
               and d.scenario = (select min(scenario) from marts.funding_scenarios))
        order by d.finess_et, d.year, d.rule_no""",
     ["Scénario", "FINESS", "Exercice", "Règle", "Unité", "Unités", "Tarif", "Montant (€)", "Note"],
     {5: DEC, 6: EURO2, 7: EURO}),
]


def _typed(value):
    """The board marts hold figures as text ("12.5", or "< 5" for a small cell): a number goes to Excel as one."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _rows(con, sql: str, figures: tuple[int, ...] = ()) -> list[tuple]:
    """The query's rows; the columns `figures` (board figures held as text) as numbers where they are ones."""
    try:
        return [tuple(_typed(v) if i in figures else v for i, v in enumerate(row))
                for row in con.execute(sql).fetchall()]
    except (duckdb.CatalogException, duckdb.BinderException):  # a warehouse built before this part existed
        return []


def build_cpom_workbook(warehouse: Path, out_dir: Path) -> Path:
    import xlsxwriter

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "cpom_annexe.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for title, sql, headers, formats, *figures in SHEETS:
            if sql is None:
                from reports.cpom_annex import write_trajectory

                write_trajectory(workbook, con)
                continue
            add_sheet(workbook, title, headers, _rows(con, sql, figures[0] if figures else ()), formats)
    workbook.close()
    return path


def gestionnaire_names(con) -> dict[str, str]:
    """FINESS EJ -> the gestionnaire's name in the FINESS feed (its legal name), where the feed has it."""
    return dict(_rows(con, "select finess_ej, max(legal_name) from core.finess_structures "
                           "where legal_name is not null group by finess_ej"))


def _trajectory_section(entity: str, name: str, measures: dict) -> str:
    """One gestionnaire's trajectory: its chart with a transcript, the table of its measures by year."""
    import plotly.graph_objects as go

    title = f"{name} ({entity})" if name else entity
    fig = go.Figure()
    for measure, label in (("charges_in_scope", "Charges retenues"), ("funding", "Financement")):
        points = measures.get(measure, [])
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[2] for p in points], name=label,
                                 mode="lines+markers", hovertemplate="%{x} : %{y:,.0f} €<extra>" + label + "</extra>"))
    fig.update_layout(title=f"Trajectoire du gestionnaire {title}", xaxis_title="Exercice", yaxis_title="Euros",
                      height=380)
    text = " ".join(t for t in (
        trend([(p[0], p[2]) for p in measures.get("charges_in_scope", [])], euros, "Charges retenues"),
        trend([(p[0], p[2]) for p in measures.get("funding", [])], euros, "Financement de la trajectoire"),
        trend([(p[0], p[2]) for p in measures.get("result", [])], euros, "Résultat")) if t)
    years = sorted({p[0] for points in measures.values() for p in points})
    status = {p[0]: p[1] for points in measures.values() for p in points}
    rows = []
    for measure in ("charges_in_scope", "funding", "result", "cost_per_place"):
        values = {p[0]: p[2] for p in measures.get(measure, [])}
        label = next((p[3] for p in measures.get(measure, [])), measure)
        rows.append([label, *[euros(values[y]) if y in values else "" for y in years]])
    return (f"<h2>Trajectoire du gestionnaire {html.escape(title)}</h2>" + chart(fig, text)
            + data_table("Trajectoire (observé puis projeté)",
                         ["Mesure", *[f"{y} ({status.get(y, '')})" for y in years]], rows,
                         numeric=range(1, len(years) + 1), download="cpom_annexe.xlsx"))


def cpom_figures(con) -> list[KeyFigure]:
    """Each gestionnaire's charges of the last observed year and its result at the end of the trajectory."""
    rows = _rows(con, """
        select entity, year, status, measure, value from marts.cpom_trajectory
        where level = 'gestionnaire' and measure in ('charges_in_scope', 'result') and value is not null
        order by entity, year""")
    names = gestionnaire_names(con)
    out = []
    for entity in dict.fromkeys(r[0] for r in rows):
        who = names.get(entity) or entity
        observed = [r for r in rows if r[0] == entity and r[3] == "charges_in_scope" and r[2] == "observé"]
        if observed:
            last, before = observed[-1], observed[-2] if len(observed) > 1 else (None, None, None, None, None)
            out.append(KeyFigure(f"charges|{entity}", f"{who} : charges retenues {last[1]}", euros(last[4]),
                                 change(last[4], before[4], euros, before[1])))
        results = [r for r in rows if r[0] == entity and r[3] == "result" and r[4] is not None]
        if results:  # no result without funding (a ledger without class 7 products)
            end = results[-1]
            out.append(KeyFigure(f"result|{entity}", f"{who} : résultat {end[1]} ({end[2]})", euros(end[4]),
                                 "déficit" if end[4] < 0 else "excédent ou équilibre", "bad" if end[4] < 0 else "good"))
    return out


def cpom_body(con) -> str:
    """cpom.html's body: key figures, each gestionnaire's trajectory (charges, funding, result) and, per ESMS, the
    chosen scenario against today's funding; the full annex is the workbook."""
    trajectory = _rows(con, """
        select entity, year, status, measure, measure_label, value from marts.cpom_trajectory
        where level = 'gestionnaire' and measure in ('charges_in_scope', 'funding', 'result', 'cost_per_place')
        order by entity, year""")
    target = _rows(con, "select max(target_scenario) from marts.cpom_trajectory")
    target = target[0][0] if target else None
    scenario = _rows(con, f"""
        select f.finess_et, f.name, f.year, f.baseline_funding, f.scenario_funding, f.delta, f.delta_share
        from marts.funding_scenario as f
        where f.scenario = {"?" if target else "(select min(scenario) from marts.funding_scenarios)"}
          and f.year = (select max(year) from marts.funding_scenario)
        order by f.delta nulls last""".replace("?", "'" + str(target).replace("'", "''") + "'"))
    names = gestionnaire_names(con)
    body = [key_figures(cpom_figures(con)),
            '<p>Annexe financière complète : <a href="cpom_annexe.xlsx">cpom_annexe.xlsx</a> (Excel, une feuille '
            "par partie).</p>"]
    by_entity: dict[str, dict] = {}
    for entity, year, status, measure, label, value in trajectory:
        by_entity.setdefault(entity, {}).setdefault(measure, []).append((year, status, value, label))
    for entity, measures in by_entity.items():
        body.append(_trajectory_section(entity, names.get(entity, ""), measures))
    if not by_entity:
        body.append(empty("Trajectoire", "aucun fichier cpom.yaml ni trajectoire calculée pour cet entrepôt."))
    if scenario:
        name = target or "premier scénario"
        body.append(f"<h2>Scénario retenu : {html.escape(str(name))}</h2>")
        body.append(data_table(
            "Financement du scénario comparé au financement actuel, dernier exercice",
            ["FINESS", "Établissement", "Exercice", "Financement actuel", "Scénario", "Écart", "Écart en %"],
            [[f, n or "", y, euros(b), euros(s), euros(d), percent(ds)] for f, n, y, b, s, d, ds in scenario],
            numeric=(2, 3, 4, 5, 6), download="cpom_annexe.xlsx"))
    return "".join(body)


SUBTITLE = "Synthèse de l'annexe financière : trajectoire à cinq ans et modèle de financement cible."


def build_cpom_page(warehouse: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        body = cpom_body(con)
    path = out_dir / "cpom.html"
    path.write_text(page("Dossier CPOM", body, plotly_script(out_dir), SUBTITLE), encoding="utf-8")
    return path


def summary_figures(warehouse: Path) -> dict[str, float | None]:
    """The gestionnaire-level figures cpom.html shows, for the tests (read from the mart, as the page is)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {f"{e}|{y}|{m}": v for e, y, m, v in con.execute(
            "select entity, year, measure, value from marts.cpom_trajectory where level = 'gestionnaire'").fetchall()}


__all__ = ["build_cpom_page", "build_cpom_workbook", "number", "summary_figures"]
