"""The CPOM annex's trajectory sheet, as an annex reads: years as columns (the observed years, then the CPOM's
projected ones), one block per gestionnaire named by its FINESS EJ's name, then one per ESMS (by gestionnaire), one
row per measure.

Figures of marts.cpom_trajectory are values, each projected measure with the rule that made it; what adds up is a
formula: the charges in scope (personnel + other charges), the result (funding + other products − charges), the
cost per place (charges / places) and every figure of the gestionnaire (the sum of its ESMS' rows: SUMIFS over
the sheet). Each formula carries the mart's value as its cached result. Used by reports/cpom_pack.py."""

from __future__ import annotations

from reports import xlsx_formulas as xf
from reports.common import query

TITLE = "Trajectoire"
HEADERS = ["Niveau", "FINESS", "Nom", "FINESS EJ du gestionnaire", "Mesure"]
FIRST = 4  # the first row of figures (zero-based): a title, a note, a blank row and the header above
YEAR0 = len(HEADERS)  # the first year's column


def gestionnaire_names(con) -> dict[str, str]:
    """FINESS EJ → the name of the legal entity as the FINESS directory holds it (core.finess_structures: the
    most frequent raison sociale among its establishments); an EJ the directory lacks is named by its number."""
    rows = query(con, """
        select finess_ej, mode(legal_name) from core.finess_structures
        where finess_ej is not null and legal_name is not null group by finess_ej""")
    return dict(rows)


def _gestionnaire_label(ej: str, names: dict[str, str]) -> str:
    if ej in names:
        return names[ej]
    return "Sans entité juridique" if ej.startswith("(") else f"Entité juridique {ej}"


def _rule_text(rules: list[str]) -> str:
    """The rule of a projected measure: the one of each year, shown as its first and last year's when they differ."""
    distinct = list(dict.fromkeys(r for r in rules if r))
    if not distinct:
        return ""
    return distinct[0] if len(distinct) == 1 else f"{distinct[0]} ; … ; {distinct[-1]}"


def _formula(measure: str, level: str, r: int, c: int, rows: dict[str, int], esms: tuple[int, int]) -> str | None:
    """The formula of a cell (zero-based row r, column c) or None for a value. rows: the block's row per measure;
    esms: the first and last rows of the ESMS, below every gestionnaire (a gestionnaire's sums never read a cell
    that reads them)."""
    col = xf.column(c)
    at = {m: f"{col}{rows[m] + 1}" for m in rows}
    if measure == "cost_per_place":
        places = at["places"]
        return f'=IF(ISNUMBER({places}),IF({places}<>0,{at["charges_in_scope"]}/{places},""),"")'
    if level == "gestionnaire":
        first, last = esms[0] + 1, esms[1] + 1
        keys = {k: f"${k}${first}:${k}${last}" for k in ("A", "D", "E")}
        figures = f"{col}${first}:{col}${last}"
        found = (f'SUMPRODUCT(({keys["A"]}="ESMS")*({keys["D"]}=$D{r + 1})*({keys["E"]}=$E{r + 1})'
                 f"*ISNUMBER({figures}))")
        total = f'SUMIFS({figures},{keys["A"]},"ESMS",{keys["D"]},$D{r + 1},{keys["E"]},$E{r + 1})'
        return f'=IF({found}=0,"",{total})'
    if measure == "charges_in_scope":
        return f"={at['personnel_charges']}+{at['other_charges']}"
    if measure == "result":
        return f'=IF(ISNUMBER({at["funding"]}),{at["funding"]}+N({at["other_products"]})-{at["charges_in_scope"]},"")'
    return None


def _blocks(con) -> tuple[list[int], dict[int, str], list[tuple], str | None]:
    """The years, each year's status, the blocks (level, entity, name, ej, [(measure, label, {year: (value, rule)})])
    in order: the gestionnaires, then the ESMS by gestionnaire; and the target scenario."""
    rows = query(con, """
        select t.level, t.entity, t.gestionnaire, t.year, t.status, t.measure_no, t.measure, t.measure_label,
               t.value, t.rule, t.target_scenario, e.name
        from marts.cpom_trajectory as t
        left join core.establishments as e on t.level = 'esms' and e.finess_et = t.entity
        order by t.level desc, t.gestionnaire, t.entity, t.measure_no, t.year""")
    names = gestionnaire_names(con)
    years = sorted({r[3] for r in rows})
    status = {r[3]: r[4] for r in rows}
    blocks: dict[tuple, dict] = {}
    for level, entity, ej, year, _, _, measure, label, value, rule, _, esms_name in rows:
        name = _gestionnaire_label(ej, names) if level == "gestionnaire" else (esms_name or entity)
        block = blocks.setdefault((level, entity), {"name": name, "ej": ej, "measures": {}})
        block["measures"].setdefault(measure, (label, {}))[1][year] = (value, rule)
    target = next((r[10] for r in rows if r[10]), None)
    ordered = [(level, entity, b["name"], b["ej"], [(m, lab, by_year) for m, (lab, by_year) in b["measures"].items()])
               for (level, entity), b in blocks.items()]
    return years, status, ordered, target


def write_trajectory(workbook, con) -> None:
    """The Trajectoire sheet of the annex."""
    fmt = xf.formats(workbook)
    ws = workbook.add_worksheet(TITLE)
    years, status, blocks, target = _blocks(con)
    names = gestionnaire_names(con)
    ws.write(0, 0, "Trajectoire financière du CPOM : exercices observés puis projetés", fmt["title"])
    ws.write(1, 0, ("Scénario cible : " + target if target else "Pas de scénario cible") + ". Les charges dans le "
             "champ, le résultat, le coût par place et chaque chiffre du gestionnaire (la somme de ses ESMS) sont "
             "des formules ; les autres chiffres sont ceux de l'entrepôt, chaque projection avec sa règle.",
             fmt["note"])
    headers = [*HEADERS, *(f"{y} ({status[y]})" for y in years), "Règle de projection"]
    for c, h in enumerate(headers):
        ws.write(FIRST - 1, c, h, fmt["header"])
    last = FIRST - 1 + sum(len(b[4]) for b in blocks)
    esms = (FIRST + sum(len(b[4]) for b in blocks if b[0] == "gestionnaire"), last)
    r = FIRST
    for level, entity, name, ej, measures in blocks:
        rows = {m: r + i for i, (m, _, _) in enumerate(measures)}
        for measure, label, by_year in measures:
            ws.write(r, 0, "Gestionnaire" if level == "gestionnaire" else "ESMS",
                     fmt["bold"] if level == "gestionnaire" else None)
            ws.write_string(r, 1, entity)
            ws.write(r, 2, name)
            ws.write_string(r, 3, ej)
            ws.write(r, 4, label)
            style = fmt["dec2"] if measure in ("places", "file_active", "direct_hours") else fmt["euro"]
            for c, year in enumerate(years, start=YEAR0):
                if year not in by_year:
                    continue
                value = by_year[year][0]
                formula = _formula(measure, level, r, c, rows, esms)
                if formula is None:
                    if value is not None:
                        ws.write_number(r, c, value, style)
                else:
                    ws.write_formula(r, c, formula, style, "" if value is None else value)
            projected = [by_year[y][1] for y in years if y in by_year and status[y] == "projeté"]
            ws.write(r, YEAR0 + len(years), _rule_text(projected) if level == "esms" else
                     ("charges dans le champ / places autorisées du gestionnaire" if measure == "cost_per_place"
                      else f"somme des ESMS de {_gestionnaire_label(ej, names)}"))
            r += 1
    for c, width in enumerate((13, 11, 34, 14, 44)):
        ws.set_column(c, c, width)
    ws.set_column(YEAR0, YEAR0 + len(years) - 1, 15)
    ws.set_column(YEAR0 + len(years), YEAR0 + len(years), 90)
    ws.freeze_panes(FIRST, YEAR0)
