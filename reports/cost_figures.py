"""The key figures couts.html opens with, for the finance director: the year's class 6 charges, the share of the
retained charges that reaches persons, the traceability of paid hours (when the warehouse has it), each scenario's
delta against today's funding, and per ESMS category the cost per place and per person, each against the year
before. Read from the marts (cost_reconciliation, cost_person_distribution, traceability, funding_scenario); the
printed board pack (reports/pack.py) shows the same."""

from __future__ import annotations

import duckdb

from reports.common import Layout, data_table, euros, percent, query
from reports.narrative import KeyFigure, change, key_figures

YEARS = "select max(year) from marts.cost_reconciliation"


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + euros(value)


def _pair(rows: list[tuple], last: int) -> tuple:
    """(value of `last`, value of the year before) from (year, value) rows."""
    values = dict(rows)
    return values.get(last), values.get(last - 1)


def _traceability(con) -> list[tuple]:
    """(year, recorded / paid hours) of every ESMS together; none before the traceability mart exists."""
    try:
        return con.execute("""
            select year, sum(recorded_hours) / nullif(sum(paid_hours), 0) from marts.traceability
            where profession is null group by year""").fetchall()
    except duckdb.Error:
        return []


def cost_figures(con) -> list[KeyFigure]:
    last = query(con, YEARS)
    if not last or last[0][0] is None:
        return []
    last = last[0][0]
    totals = query(con, """select year, sum(charges_total), sum(allocated_to_persons) / nullif(sum(charges_in_scope), 0)
                           from marts.cost_reconciliation group by year""")
    charges = _pair([(y, c) for y, c, _ in totals], last)
    allocated = _pair([(y, a) for y, _, a in totals], last)
    out = [KeyFigure("charges", f"Charges de classe 6 en {last}, tous ESMS", euros(charges[0]),
                     change(charges[0], charges[1], euros, last - 1)),
           KeyFigure("allocated_share", f"Part des charges retenues affectée aux personnes en {last}",
                     percent(allocated[0]), change(allocated[0], allocated[1], percent, last - 1, rate=True))]
    traced = _pair(_traceability(con), last)
    if traced[0] is not None:
        out.append(KeyFigure("traceability", f"Heures payées tracées dans l’activité en {last}", percent(traced[0]),
                             change(traced[0], traced[1], percent, last - 1, rate=True),
                             "bad" if traced[0] < 0.5 else ""))
    target = query(con, "select max(target_scenario) from marts.cpom_trajectory")
    target = target[0][0] if target else None
    deltas = query(con, "select scenario, year, sum(delta), count(*) filter (where delta < 0) "
                        "from marts.funding_scenario group by all order by all")
    for scenario in dict.fromkeys(r[0] for r in deltas):
        lines = {y: (d, n) for s, y, d, n in deltas if s == scenario}
        year = max(lines)
        delta, losers = lines[year]
        if delta is None:  # no ESMS of the scenario has a baseline this year
            continue
        previous = lines.get(year - 1, (None,))[0]
        out.append(KeyFigure(
            f"scenario_delta|{scenario}", f"Scénario « {scenario} »{' (retenu pour le CPOM)' if scenario == target else ''}"
            f" : écart au financement actuel en {year}", signed(delta),
            f"{losers} ESMS perdants ; " + change(delta, previous, euros, year - 1, count=True),
            "bad" if delta < 0 else "good"))
    return out


def category_rows(con) -> list[tuple]:
    """Per ESMS category: (category, year, cost per place, the year before, mean cost per person, the year
    before) for the last year."""
    return query(con, """
        with place as (
            select e.category, r.year, sum(r.charges_in_scope) / nullif(sum(e.authorized_places), 0) as per_place
            from marts.cost_reconciliation as r join core.establishments as e using (finess_et) group by all),
        person as (select category, year, mean_cost from marts.cost_person_distribution),
        last as (select max(year) as year from marts.cost_reconciliation)
        select p.category, p.year, p.per_place, b.per_place, q.mean_cost, qb.mean_cost
        from place as p join last on p.year = last.year
        left join place as b on b.category = p.category and b.year = p.year - 1
        left join person as q on q.category = p.category and q.year = p.year
        left join person as qb on qb.category = p.category and qb.year = p.year - 1
        order by p.per_place desc""")


def cost_key_figures(con) -> str:
    """The key figures block and the per-category table of couts.html."""
    rows = category_rows(con)
    table = data_table(
        f"Coût par place et par personne, par catégorie, en {rows[0][1]} et sur l’exercice précédent" if rows else
        "Coût par catégorie", ["Catégorie", "Coût par place", "Sur un an", "Coût moyen par personne", "Sur un an"],
        [[c, euros(p), change(p, pb, euros, y - 1), euros(q), change(q, qb, euros, y - 1)]
         for c, y, p, pb, q, qb in rows], numeric=(1, 3),
        layout=Layout(why_empty="aucun exercice rapproché des comptes dans cet entrepôt."))
    return key_figures(cost_figures(con)) + table
