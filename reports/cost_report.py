"""couts.html, the finance director's report, from the cost and funding marts only: per ESMS and year the
reconciliation with the accounts, the cost of each prestation with its official label, the path from the accounts
to the persons (Sankey), the unallocated amounts with their reason and the parameters used, the distribution of
the cost per person by category, the drill-down from a prestation to its actions (by kind of professional and
setting, never a person), each ESMS placed among the others (quartiles), and the funding scenarios (baseline vs
scenario, winners and losers, the sensitivity as a tornado, the rules as written).

The page opens with the year's key figures against the year before (reports/cost_figures.py), then one section
per function of SECTIONS, each `(out_dir, con, names) -> html`: a new section (traceability, finance sources, funding
scenarios) is one line there. Numbers are computed in the marts (dbt); this module lays them out. Each chart has its
transcript and is followed by its data as a table (long ones folded) and an Excel file (reports/common.py).
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from reports.common import block, chart, dropdown, euros, page, plotly_script, query, table_block
from reports.finance_sources import finance_sources_section
from reports.funding_scenarios import funding_scenarios_section
from reports.narrative import extremes, others_in_menu
from reports.traceability import traceability_section

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

REASONS = {"no_direct_cost": "Aucune prestation directe ne porte de coût : les fonctions support restent non affectées",
           "no_person_received": "Prestation sans aucune personne bénéficiaire dans l'année",
           "no_units": "Logistique sans nuitée ni journée de présence pour la répartir"}
MEASURES = {"cost_per_place": "Coût par place", "cost_per_person": "Coût par personne",
            "cost_per_hour": "Coût par heure enregistrée"}
QUARTILE_COLOURS = {1: "#1a7f37", 2: "#7fbf7f", 3: "#f0a860", 4: "#cf222e"}


def cost_summary(warehouse: Path) -> list[dict]:
    """The reconciliation per ESMS-year, as `serafin run` prints it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(SUMMARY_SQL)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _names(con) -> dict[str, str]:
    return dict(query(con, "select finess_et, coalesce(name, finess_et) from core.establishments"))


def _named(rows, names: dict[str, str], at: int = 0) -> list[list]:
    """Each row with the ESMS's name beside its FINESS number (the column after `at`)."""
    return [[*r[:at + 1], names.get(r[at], ""), *r[at + 1:]] for r in rows]


def _reconciliation(out_dir: Path, con, names: dict[str, str]) -> str:
    rows = query(con, """
        select r.finess_et, e.name, e.category, r.year, r.charges_total, r.charges_excluded, r.charges_hors_champ,
               r.charges_in_scope, r.personnel_gap, r.allocated_to_persons, r.unallocated, r.delta,
               cat.cost_per_place_min, cat.cost_per_place_max
        from marts.cost_reconciliation as r
        left join core.establishments as e on e.finess_et = r.finess_et
        left join ref.esms_categories as cat on cat.short_label = e.category
        order by r.finess_et, r.year""")
    return "<h2>Rapprochement avec les comptes</h2>" + table_block(
        out_dir, "couts-rapprochement", "Charges de classe 6 et leur affectation, par ESMS et exercice",
        [("FINESS", "text"), ("ESMS", "text"), ("Catégorie", "text"), ("Exercice", "text"),
         ("Charges totales", "euro2"), ("Charges exclues", "euro2"), ("Hors champ", "euro2"),
         ("Charges retenues", "euro2"), ("Écart de personnel (comptes − fichier du personnel)", "euro2"),
         ("Affecté aux personnes", "euro2"), ("Non affecté", "euro2"), ("Écart de rapprochement", "euro2"),
         ("Repère coût par place, bas", "euro"), ("Repère coût par place, haut", "euro")], rows,
        layout=block(
            note="Charges totales = exclues + hors champ + retenues ; retenues = affecté aux personnes + non affecté, "
                 "au centime (méthode de coût, étape 10)."))


def _prestations(out_dir: Path, con, names: dict[str, str]) -> str:
    import plotly.graph_objects as go

    rows = query(con, """
        select finess_et, year, prestation_code, prestation_label, professional_hours, persons, direct_cost,
               overhead_cost, full_cost, cost_per_hour, estimated_hours, cost_per_estimated_hour
        from marts.cost_per_prestation order by finess_et, year desc, full_cost desc nulls last""")
    if not rows:
        return ""
    last = {}
    for r in rows:
        last[r[0]] = max(last.get(r[0], r[1]), r[1])
    groups = {}
    for finess, year in last.items():
        lines = sorted((r for r in rows if r[0] == finess and r[1] == year and r[8] is not None),
                       key=lambda r: r[8])
        groups[f"{names.get(finess, finess)} ({year})"] = [go.Bar(
            x=[r[8] for r in lines], y=[f"{r[2]} {(r[3] or '')[:60]}" for r in lines], orientation="h",
            customdata=[[r[9], r[4], r[5], r[11], r[10]] for r in lines], name=names.get(finess, finess),
            hovertemplate="%{y}<br>Coût complet : %{x:,.0f} €<br>Coût par heure enregistrée : %{customdata[0]:,.2f} €"
                          "<br>Coût par heure estimée (heures rémunérées) : %{customdata[3]:,.2f} €"
                          "<br>Heures enregistrées : %{customdata[1]:,.0f} ; heures estimées : %{customdata[4]:,.0f} ; "
                          "personnes : %{customdata[2]}<extra></extra>")]
    height = 180 + 26 * max(len(g[0].x) for g in groups.values())
    fig = go.Figure()
    dropdown(fig, groups)
    fig.update_layout(title="Coût complet par prestation directe (dernier exercice)", xaxis_title="Coût complet (€)",
                      xaxis_tickformat=",.0f",
                      height=height, margin={"l": 420})
    first = next(iter(groups))
    text = extremes(list(zip(groups[first][0].y, groups[first][0].x)), euros,
                    f"Coût complet par prestation, {first}") + others_in_menu(groups)
    latest = [r for r in rows if r[1] == last[r[0]]]
    table = table_block(
        out_dir, "couts-prestations", "Coût par prestation, par ESMS et exercice",
        [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Prestation", "text"), ("Libellé officiel", "text"),
         ("Heures professionnelles enregistrées", "int"), ("Personnes", "int"), ("Coût direct", "euro"),
         ("Quote-part des fonctions support", "euro"), ("Coût complet", "euro"), ("Coût par heure enregistrée", "euro2"),
         ("Heures estimées (heures rémunérées)", "int"), ("Coût par heure estimée (heures rémunérées)", "euro2")],
        _named(latest + [r for r in rows if r[1] != last[r[0]]], names),
        layout=block(
            limit=len(latest),
            note="La page montre le dernier exercice de chaque ESMS, trié par coût complet ; le fichier Excel, tous."))
    return "<h2>Coût des prestations</h2>" + chart(fig, text) + table


def _flow(out_dir: Path, con, names: dict[str, str]) -> str:
    import plotly.graph_objects as go

    rows = query(con, "select finess_et, year, flow_no, source, target, amount from marts.cost_flow "
                      "order by finess_et, year desc, flow_no")
    if not rows:
        return ""
    groups = {}
    for finess in dict.fromkeys(r[0] for r in rows):
        year = max(r[1] for r in rows if r[0] == finess)
        flows = [r for r in rows if r[0] == finess and r[1] == year and r[5] and r[5] > 0]
        nodes = list(dict.fromkeys([f[3] for f in flows] + [f[4] for f in flows]))
        groups[f"{names.get(finess, finess)} ({year})"] = [go.Sankey(
            valueformat=",.0f", valuesuffix=" €", node={"label": nodes, "pad": 18},
            link={"source": [nodes.index(f[3]) for f in flows], "target": [nodes.index(f[4]) for f in flows],
                  "value": [f[5] for f in flows]})]
    fig = go.Figure()
    dropdown(fig, groups)
    fig.update_layout(title="Des comptes aux personnes : le chemin des charges (dernier exercice)", height=520)
    finess = rows[0][0]
    first = [r for r in rows if r[0] == finess and r[1] == rows[0][1] and r[5] and r[5] > 0]
    largest = max(first, key=lambda r: r[5], default=None)
    text = (f"{names.get(finess, finess)} en {rows[0][1]} : {len(first)} flux des comptes aux personnes"
            + (f" ; le plus important va de « {largest[3]} » à « {largest[4]} » ({euros(largest[5])})."
               if largest else " ; aucun montant.") + others_in_menu(groups))
    last = {r[0]: r[1] for r in rows if r[1] == max(x[1] for x in rows if x[0] == r[0])}
    latest = [r for r in rows if r[1] == last[r[0]]]
    table = table_block(
        out_dir, "couts-chemin", "Des comptes aux personnes, flux par ESMS et exercice",
        [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("N°", "int"), ("De", "text"), ("Vers", "text"),
         ("Montant", "euro2")], _named(latest + [r for r in rows if r[1] != last[r[0]]], names),
        layout=block(
            limit=len(latest),
            note="La page montre le dernier exercice de chaque ESMS ; le fichier Excel, tous."))
    return "<h2>Des comptes aux personnes</h2>" + chart(fig, text) + table


def _unallocated_and_parameters(out_dir: Path, con, names: dict[str, str]) -> str:
    rows = query(con, "select finess_et, year, section, amount, reason from marts.unallocated_cost "
                      "order by finess_et, year, section")
    parameters = query(con, "select parameter, key_, value_, note from marts.cost_parameters "
                            "order by parameter, key_")
    out = ["<h2>Montants non affectés et paramètres</h2>"]
    if rows:
        out.append(table_block(out_dir, "couts-non-affectes", "Montants non affectés et leur motif",
                               [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Section", "text"),
                                ("Montant", "euro2"), ("Motif", "text")],
                               [[f, names.get(f, ""), y, s, a, REASONS.get(r, r)] for f, y, s, a, r in rows]))
    else:
        out.append("<p>Aucun montant non affecté : toutes les charges retenues atteignent des personnes.</p>")
    out.append(table_block(out_dir, "couts-parametres", "Paramètres de la méthode utilisés",
                           [("Paramètre", "text"), ("Clé", "text"), ("Valeur", "text"), ("Note", "text")],
                           parameters,
                           layout=block(
                               fold=0,
                               why_empty="la méthode n'a enregistré aucun paramètre pour cet entrepôt.",
                               note="Les paramètres (comptes exclus, sections par compte et par profession, unités de "
                                    "la logistique) sont dans le fichier Excel ; ils se modifient dans nomenclatures/.")))
    return "".join(out)


def _distribution(out_dir: Path, con, names: dict[str, str]) -> str:
    import plotly.graph_objects as go

    rows = query(con, """
        select category, year, persons, mean_cost, min_cost, p10, p20, p25, p30, p40, p50, p60, p70, p75, p80, p90,
               max_cost
        from marts.cost_person_distribution order by category, year""")
    if not rows:
        return ""
    last = max(r[1] for r in rows)
    latest = sorted((r for r in rows if r[1] == last), key=lambda r: r[10])
    fig = go.Figure(go.Box(
        x=[r[0] for r in latest], q1=[r[7] for r in latest], median=[r[10] for r in latest],
        q3=[r[13] for r in latest], lowerfence=[r[5] for r in latest], upperfence=[r[15] for r in latest],
        mean=[r[3] for r in latest], name="Coût par personne", boxpoints=False))
    fig.update_layout(title=f"Coût complet par personne et par catégorie en {last} "
                            "(boîte : quartiles ; moustaches : 1er et 9e déciles)",
                      yaxis_title="Coût par personne (€)", yaxis_tickformat=",.0f", height=460)
    columns = [("Catégorie", "text"), ("Exercice", "text"), ("Personnes", "int"), ("Moyenne", "euro"),
               ("Minimum", "euro")] + [(f"{d}", "euro") for d in (
                   "1er décile", "2e décile", "1er quartile", "3e décile", "4e décile", "Médiane", "6e décile",
                   "7e décile", "3e quartile", "8e décile", "9e décile")] + [("Maximum", "euro")]
    text = extremes([(r[0], r[10]) for r in latest], euros, f"Coût médian par personne en {last}")
    return ("<h2>Coût par personne</h2>" + chart(fig, text)
            + table_block(out_dir, "couts-par-personne", "Distribution du coût par personne par catégorie",
                          columns, rows))


def _actions(out_dir: Path, con, names: dict[str, str]) -> str:
    import plotly.graph_objects as go

    rows = query(con, """
        select finess_et, year, prestation_code, prestation_label, profession_label, setting_label, actions, hours,
               full_cost, cost_per_action, cost_per_hour, rank_in_prestation
        from marts.action_cost_summary
        where year = (select max(year) from marts.action_cost_summary s where s.finess_et = action_cost_summary.finess_et)
        order by finess_et, full_cost desc""")
    if not rows:
        return ""
    groups = {}
    for finess in dict.fromkeys(r[0] for r in rows):
        top = [r for r in rows if r[0] == finess][:15][::-1]
        groups[f"{names.get(finess, finess)} ({top[0][1]})"] = [go.Bar(
            x=[r[8] for r in top], y=[f"{r[2]} · {r[4]} · {r[5]}" for r in top], orientation="h",
            customdata=[[r[3], r[6], r[7], r[10]] for r in top],
            hovertemplate="%{customdata[0]}<br>%{y}<br>Coût complet : %{x:,.0f} € ; %{customdata[1]} actions, "
                          "%{customdata[2]:,.0f} h, %{customdata[3]:,.2f} € par heure enregistrée<extra></extra>")]
    fig = go.Figure()
    dropdown(fig, groups)
    fig.update_layout(title="Les actions les plus coûteuses, par prestation, métier et lieu (dernier exercice)",
                      xaxis_title="Coût complet (€)", height=620, margin={"l": 460})
    ranked = _named(sorted(rows, key=lambda r: (r[0], r[2], r[11])), names)
    first = next(iter(groups))
    text = extremes(list(zip(groups[first][0].y, groups[first][0].x)), euros,
                    f"Coût complet des actions, {first}") + others_in_menu(groups)
    return ("<h2>De la prestation aux actions</h2>" + chart(fig, text) + table_block(
        out_dir, "couts-actions", "Actions par prestation, métier et lieu (dernier exercice)",
        [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Prestation", "text"), ("Libellé officiel", "text"),
         ("Métier", "text"), ("Lieu", "text"), ("Actions", "int"), ("Heures", "int"), ("Coût complet", "euro"),
         ("Coût par action", "euro2"), ("Coût par heure enregistrée", "euro2"), ("Rang dans la prestation", "int")],
        [r for r in ranked if r[12] <= 3] + [r for r in ranked if r[12] > 3],
        layout=block(
            limit=sum(1 for r in ranked if r[12] <= 3),
            note="La page montre les trois lignes les plus coûteuses de chaque prestation ; le fichier Excel, toutes. "
                 "Une action : l'intervention d'un professionnel (événement, professionnel), sans aucune personne "
                 "nommée.")))


def _benchmark(out_dir: Path, con, names: dict[str, str]) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = query(con, """
        select finess_et, year, category, measure, prestation_code, prestation_label, value, peer_group, peers, q1,
               median, q3, quartile
        from marts.cost_benchmark
        where year = (select max(year) from marts.cost_benchmark)
        order by measure desc, prestation_code nulls first, value""")
    if not rows:
        return ""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[MEASURES["cost_per_place"], MEASURES["cost_per_person"]])
    for col, measure in enumerate(("cost_per_place", "cost_per_person"), start=1):
        lines = [r for r in rows if r[3] == measure]
        fig.add_trace(go.Bar(
            x=[f"{names.get(r[0], r[0])}" for r in lines], y=[r[6] for r in lines], showlegend=False,
            marker={"color": [QUARTILE_COLOURS[r[12]] for r in lines]},
            customdata=[[r[12], r[7], r[8], r[10]] for r in lines],
            hovertemplate="%{x} : %{y:,.0f} €<br>Quartile %{customdata[0]} parmi %{customdata[2]} ESMS "
                          "(%{customdata[1]}) ; médiane %{customdata[3]:,.0f} €<extra></extra>"), row=1, col=col)
        fig.update_yaxes(title_text="€", tickformat=",.0f", row=1, col=col)
    fig.update_layout(title=f"Chaque ESMS parmi les autres en {rows[0][1]} (vert : 1er quartile, le moins coûteux ; "
                            "rouge : 4e)", height=480)
    text = " ".join(extremes([(names.get(r[0], r[0]), r[6]) for r in rows if r[3] == m and r[4] is None], euros,
                             f"{MEASURES[m]} en {rows[0][1]}") for m in ("cost_per_place", "cost_per_person"))
    return ("<h2>Comparaison entre ESMS</h2>" + chart(fig, text) + table_block(
        out_dir, "couts-comparaison", "Position de chaque ESMS parmi ses pairs",
        [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Catégorie", "text"), ("Mesure", "text"),
         ("Prestation", "text"), ("Libellé officiel", "text"), ("Valeur", "euro2"), ("Pairs", "text"),
         ("Nombre de pairs", "int"), ("1er quartile", "euro2"), ("Médiane", "euro2"), ("3e quartile", "euro2"),
         ("Quartile de l'ESMS", "int")],
        [[r[0], names.get(r[0], ""), r[1], r[2], MEASURES[r[3]], r[4] or "", r[5] or "", r[6],
          "toutes catégories" if r[7] == "all" else f"catégorie {r[7]}", *r[8:]] for r in rows],
        layout=block(
            note="Les pairs : les ESMS de la même catégorie, ou tous les ESMS de l'entrepôt quand la catégorie en compte "
                 "moins de quatre ; quartile 1 = le quart le moins coûteux.")))


def _method(out_dir: Path, con, names: dict[str, str]) -> str:
    method = query(con, "select value_ from marts.cost_parameters where parameter = 'method'")
    return (f"<p>Méthode : {html.escape(method[0][0] if method else '')}. Coût complet = coût propre de la "
            "prestation + quote-part des fonctions support ; coût d'une personne = ses heures × coût par "
            "heure enregistrée de chaque prestation + sa logistique (nuitées, journées de présence).</p>")


# the page's sections in order, each (out_dir, con, names) -> html: a new section is one line here
SECTIONS = [_method, _reconciliation, _prestations, traceability_section, _flow, finance_sources_section,
            _unallocated_and_parameters, _distribution, _actions, _benchmark, funding_scenarios_section]


def build_cost_report(warehouse: Path, out_dir: Path) -> Path:
    from reports.cost_figures import cost_key_figures

    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = _names(con)
        body = [cost_key_figures(con), *(section(out_dir, con, names) for section in SECTIONS)]
    path = out_dir / "couts.html"
    path.write_text(page("Coûts des prestations SERAFIN-PH", "".join(body), plotly_script(out_dir),
                         "Pour la direction financière : coûts par ESMS et exercice, rapprochés des comptes au centime."),
                    encoding="utf-8")
    return path
