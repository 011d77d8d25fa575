"""The scenario simulators: for each scenario file, `simulateur/<file stem>.xlsx`, a live workbook a finance
director changes a tariff in and sees each ESMS's funding move (docs/simulator.md).

- "Paramètres": every tariff, amount per category or per level and share of the scenario as one input cell
  (Excel's input style, a defined name such as `regle3_tarif`, the rule written beside); a derived tariff
  (a percentile of the cost per hour) gets a coefficient, 100 % as written.
- "Calcul": one row per ESMS × year × rule (× level for per_need_level): the units as values (hours, places,
  persons, nights, presence days, baseline euros), the derived tariff as a value with its rule, the tariff
  applied and the amount as formulas over the inputs.
- "Synthèse": per ESMS and year the baseline (a value), the scenario's funding (the sum of its rules' amounts),
  the delta and the delta share as formulas, and the totals of each year.
- "Par règle": what each rule pays each year, as formulas.

Opened as written it gives marts.funding_scenario to the cent; an input moved by the scenario's sensitivity gives
marts.funding_sensitivity (tests/test_funding.py recalculates it with LibreOffice). The units, the baseline and
the derived tariffs come from the marts (funding_scenario_detail, funding_need_levels, funding_scenario); the
rules' figures from the scenario's definition as the run checked it (funding_scenarios.definition). Every formula
is written with the marts' value as its cached result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from reports import xlsx_formulas as xf

FOLDER = "simulateur"
PARAMS, CALC, SUMMARY, BY_RULE, README = "Paramètres", "Calcul", "Synthèse", "Par règle", "Lisez-moi"
KIND_LABELS = {
    "base_share": "Part de la dotation actuelle", "per_place": "Forfait par place", "per_hour": "Tarif horaire",
    "per_person": "Forfait par personne", "per_night": "Tarif par nuit",
    "per_presence_day": "Tarif par journée de présence", "per_need_level": "Forfait par niveau de besoin",
}
FIXED_UNIT = {"per_hour": "€ par heure", "per_person": "€ par personne", "per_night": "€ par nuit",
              "per_presence_day": "€ par journée de présence"}


@dataclass(frozen=True)
class Input:
    """One editable cell of the Paramètres sheet."""

    name: str  # its defined name
    rule_no: int
    key: str  # the category, the level or "" (one input for the rule)
    value: float
    unit: str
    fmt: str  # the number format's key in xlsx_formulas.formats
    text: str  # the rule, in French


def _hours_text(rule: dict) -> str:
    places = rule.get("settings")
    where = f", dans les lieux : {', '.join(places)}" if places else ""
    return (f"heures de professionnels réalisées sur la prestation {rule['prestation']} et les codes en dessous"
            f"{where} (après les déplacements d'heures du scénario)")


def inputs_of(definition: dict, categories: list[str]) -> list[Input]:
    """The inputs of a scenario (its definition as marts.funding_scenarios keeps it): one per share or fixed
    tariff, one per ESMS category for per_place (the categories of the ESMS too, at 0 when the file lists them
    not), one per level 1-3 for per_need_level (0 when unpaid), a coefficient (1) per derived tariff."""
    out: list[Input] = []
    for rule in definition["rules"]:
        n, kind = rule["no"], rule["kind"]
        if kind == "base_share":
            out.append(Input(xf.defined_name(f"regle{n}", "part"), n, "", rule["tariff"], "part", "share",
                             "Part de la dotation actuelle de l'exercice (produits de la tarification) ; "
                             "un exercice sans dotation : 0."))
        elif kind == "per_place":
            amounts = rule.get("amounts") or {}
            for category in sorted({*amounts, *categories}):
                listed = category in amounts
                out.append(Input(xf.defined_name(f"regle{n}", "place", category), n, category,
                                 float(amounts.get(category, 0.0)), "€ par place", "euro2",
                                 f"Montant par place autorisée des ESMS de la catégorie {category}"
                                 + ("." if listed else " (absente du fichier de scénario : 0).")))
        elif kind == "per_need_level":
            amounts = {int(k): v for k, v in (rule.get("amounts") or {}).items()}
            for level in (1, 2, 3):
                out.append(Input(xf.defined_name(f"regle{n}", "niveau", level), n, f"niveau {level}",
                                 float(amounts.get(level, 0.0)), "€ par personne", "euro2",
                                 f"Par personne de la file active dont le plus haut niveau parmi les besoins sous "
                                 f"{rule['need']} (dernière évaluation au 31 décembre) est {level}"
                                 + ("." if level in amounts else " (niveau absent du fichier : 0).")))
        elif rule.get("percentile") is not None:
            among = "de la même catégorie" if rule.get("among") == "category" else "de toutes catégories"
            out.append(Input(xf.defined_name(f"regle{n}", "coef"), n, "coefficient", 1.0, "× tarif dérivé", "share",
                             f"Coefficient appliqué au tarif dérivé : centile {rule['percentile']:g} du coût horaire "
                             f"de {rule['prestation']} parmi les ESMS {among}, chaque exercice (valeurs de la feuille "
                             f"Calcul) ; 100 % = le scénario tel qu'écrit. Paie les {_hours_text(rule)}."))
        else:
            what = {"per_hour": lambda r: f"Par heure : {_hours_text(r)}.",
                    "per_person": lambda r: f"Par personne ayant reçu au moins une heure réalisée sur la prestation "
                                            f"{r['prestation']} ou un code en dessous.",
                    "per_night": lambda r: "Par nuit d'hébergement (modalités avec nuitée, date de fin incluse).",
                    "per_presence_day": lambda r: "Par journée de présence (dates distinctes avec une activité "
                                                  "réalisée)."}
            out.append(Input(xf.defined_name(f"regle{n}", "tarif"), n, "", rule["tariff"], FIXED_UNIT[kind], "euro2",
                             what[kind](rule)))
    return out


def _rule_title(rule: dict) -> str:
    code = rule.get("prestation") or rule.get("need")
    title = f"{rule['no']}. {KIND_LABELS[rule['kind']]}" + (f" {code}" if code else "")
    return title + (f" — {rule['label']}" if rule.get("label") else "")


def _write_inputs(workbook, ws, fmt, definition: dict, inputs: list[Input]) -> dict[tuple, Input]:
    """The Paramètres sheet, each input under its defined name; the inputs by (rule_no, key)."""
    ws.write(0, 0, f"Paramètres du scénario « {definition['name']} »", fmt["title"])
    ws.write(1, 0, "Les cellules orange sont modifiables : chaque montant du scénario y figure une seule fois, "
                   "sous un nom défini que les formules des autres feuilles utilisent.", fmt["note"])
    headers = ["Règle", "Type", "Clé", "Valeur", "Unité", "Nom défini", "Règle de calcul"]
    for c, h in enumerate(headers):
        ws.write(3, c, h, fmt["header"])
    titles = {r["no"]: _rule_title(r) for r in definition["rules"]}
    by_key = {}
    for r, item in enumerate(inputs, start=4):
        ws.write(r, 0, titles[item.rule_no], fmt["text"])
        ws.write(r, 1, KIND_LABELS[next(x["kind"] for x in definition["rules"] if x["no"] == item.rule_no)])
        ws.write(r, 2, item.key)
        ws.write_number(r, 3, item.value, fmt["input_" + item.fmt])
        ws.write(r, 4, item.unit)
        ws.write(r, 5, item.name)
        ws.write(r, 6, item.text, fmt["wrap"])
        workbook.define_name(item.name, "=" + xf.sheet_ref(PARAMS, r, 3))
        by_key[(item.rule_no, item.key)] = item
    for c, width in enumerate((40, 26, 14, 14, 20, 24, 90)):
        ws.set_column(c, c, width)
    ws.freeze_panes(4, 0)
    return by_key


CALC_HEADERS = ["FINESS", "ESMS", "Catégorie", "Exercice", "N° règle", "Règle", "Unité", "Unités",
                "Tarif dérivé (valeur)", "Tarif appliqué", "Montant", "Règle de calcul du tarif"]
UNITS, DERIVED, TARIFF, AMOUNT = 7, 8, 9, 10


def _calc_lines(detail: list[tuple], levels: dict, categories: dict, rules: dict, inputs: dict) -> list[dict]:
    """The rows of the Calcul sheet for one ESMS-year: each a dict of its values and formulas (row-relative)."""
    lines = []
    for finess, year, rule_no, _rule, kind, unit, units, tariff, amount, note in detail:
        spec = rules[rule_no]
        base = {"finess": finess, "year": year, "rule_no": rule_no, "rule": _rule_title(spec), "unit": unit,
                "units": units, "derived": None, "tariff": tariff, "amount": amount, "note": note or ""}
        if kind == "per_need_level":
            for level in (1, 2, 3):
                persons, per_person, level_amount = levels.get((finess, year, rule_no, level), (0.0, None, 0.0))
                item = inputs[(rule_no, f"niveau {level}")]
                lines.append({**base, "unit": f"personnes de niveau {level}", "units": persons,
                              "tariff": per_person or 0.0, "amount": level_amount, "input": item.name,
                              "note": item.text})
        elif kind == "per_place":
            item = inputs.get((rule_no, categories.get(finess)))
            lines.append({**base, "input": item.name if item else None,
                          "note": note or (item.text if item else "ESMS sans catégorie : 0 par place")})
        elif spec.get("percentile") is not None:
            lines.append({**base, "derived": tariff, "input": inputs[(rule_no, "coefficient")].name})
        else:
            item = inputs[(rule_no, "")]
            lines.append({**base, "input": item.name, "note": note or item.text})
    return lines


def _write_calc(ws, fmt, blocks: list[tuple[tuple, list[dict]]], names: dict, categories: dict) -> dict:
    """The Calcul sheet; for each (finess, year) its first and last row."""
    for c, h in enumerate(CALC_HEADERS):
        ws.write(0, c, h, fmt["header"])
    spans, r = {}, 1
    for (finess, year), lines in blocks:
        first = r
        for line in lines:
            ws.write_string(r, 0, finess)
            ws.write(r, 1, names.get(finess) or "")
            ws.write(r, 2, categories.get(finess) or "")
            ws.write_number(r, 3, year)
            ws.write_number(r, 4, line["rule_no"])
            ws.write(r, 5, line["rule"])
            ws.write(r, 6, line["unit"])
            if line["units"] is not None:
                ws.write_number(r, UNITS, line["units"], fmt["dec2"])
            if line["derived"] is not None:
                ws.write_number(r, DERIVED, line["derived"], fmt["euro2"])
            if line["derived"] is not None or (line["input"] and line["input"].endswith("_coef")):
                formula = f"={xf.cell(r, DERIVED)}*{line['input']}"
            else:
                formula = f"={line['input']}" if line["input"] else "=0"
            ws.write_formula(r, TARIFF, formula, fmt["euro2"], line["tariff"] or 0.0)
            ws.write_formula(r, AMOUNT, f"={xf.cell(r, UNITS)}*{xf.cell(r, TARIFF)}", fmt["euro2"], line["amount"])
            ws.write(r, 11, line["note"])
            r += 1
        spans[(finess, year)] = (first, r - 1)
    for c, width in enumerate((11, 30, 10, 9, 8, 40, 22, 12, 14, 14, 14, 80)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    if r > 1:
        ws.autofilter(0, 0, r - 1, len(CALC_HEADERS) - 1)
    return spans


SUMMARY_HEADERS = ["FINESS", "ESMS", "Catégorie", "Exercice", "Dotation actuelle", "Financement du scénario", "Écart",
                   "Écart relatif"]


def _write_summary(ws, fmt, totals: list[tuple], spans: dict) -> None:
    """The Synthèse sheet: per ESMS and year, then a total per year, every figure but the baseline a formula."""
    for c, h in enumerate(SUMMARY_HEADERS):
        ws.write(0, c, h, fmt["header"])
    r = 1
    for finess, year, name, category, baseline, funding, delta, share in totals:
        if (finess, year) not in spans:
            continue
        first, last = spans[(finess, year)]
        ws.write_string(r, 0, finess)
        ws.write(r, 1, name or "")
        ws.write(r, 2, category or "")
        ws.write_number(r, 3, year)
        if baseline is not None:
            ws.write_number(r, 4, baseline, fmt["euro2"])
        e, f, g = xf.cell(r, 4), xf.cell(r, 5), xf.cell(r, 6)
        ws.write_formula(r, 5, f"=SUM({xf.range_ref(CALC, (first, AMOUNT), (last, AMOUNT))})", fmt["euro2"], funding)
        ws.write_formula(r, 6, f'=IF(ISNUMBER({e}),{f}-{e},"")', fmt["euro2"], "" if delta is None else delta)
        ws.write_formula(r, 7, f'=IF(AND(ISNUMBER({e}),{e}<>0),{g}/{e},"")', fmt["share"],
                         "" if share is None else share)
        r += 1
    last_row = r - 1
    r += 1
    for year in sorted({t[1] for t in totals}):
        rows = [t for t in totals if t[1] == year and (t[0], year) in spans]
        ws.write(r, 0, f"Total {year}", fmt["total_text"])
        ws.write_number(r, 3, year, fmt["total_text"])
        cached = [sum(t[4] or 0 for t in rows), sum(t[5] or 0 for t in rows), sum(t[6] or 0 for t in rows)]
        for c, value in zip((4, 5, 6), cached, strict=True):
            span = f"{xf.column(c)}$2:{xf.column(c)}${last_row + 1}"
            ws.write_formula(r, c, f"=SUMIF($D$2:$D${last_row + 1},{xf.cell(r, 3)},{span})", fmt["total_euro2"], value)
        e, g = xf.cell(r, 4), xf.cell(r, 6)
        ws.write_formula(r, 7, f'=IF({e}<>0,{g}/{e},"")', fmt["total_share"],
                         cached[2] / cached[0] if cached[0] else "")
        r += 1
    for c, width in enumerate((11, 34, 10, 9, 18, 20, 16, 12)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)


def _write_by_rule(ws, fmt, definition: dict, detail: list[tuple], calc_rows: int) -> None:
    """The Par règle sheet: what each rule pays each year over the ESMS (SUMIFS over Calcul)."""
    years = sorted({d[1] for d in detail})
    ws.write(0, 0, "Règle", fmt["header"])
    for c, year in enumerate(years, start=1):
        ws.write(0, c, str(year), fmt["header"])
    amounts = xf.range_ref(CALC, (1, AMOUNT), (max(calc_rows, 1), AMOUNT))
    rule_col = xf.range_ref(CALC, (1, 4), (max(calc_rows, 1), 4))
    year_col = xf.range_ref(CALC, (1, 3), (max(calc_rows, 1), 3))
    r = 1
    for rule in definition["rules"]:
        ws.write(r, 0, _rule_title(rule))
        for c, year in enumerate(years, start=1):
            cached = sum(d[8] or 0 for d in detail if d[2] == rule["no"] and d[1] == year)
            ws.write_formula(r, c, f"=SUMIFS({amounts},{rule_col},{rule['no']},{year_col},{year})", fmt["euro2"],
                             cached)
        r += 1
    ws.write(r, 0, "Total", fmt["total_text"])
    for c, year in enumerate(years, start=1):
        cached = sum(d[8] or 0 for d in detail if d[1] == year)
        ws.write_formula(r, c, f"=SUM({xf.column(c)}2:{xf.column(c)}{r})", fmt["total_euro2"], cached)
    ws.set_column(0, 0, 60)
    ws.set_column(1, len(years), 18)


def _write_readme(ws, fmt, definition: dict, file: str) -> None:
    lines = [
        (f"Simulateur du scénario « {definition['name']} »", fmt["title"]),
        (f"Fichier de scénario : {file}" + (f" — {definition['description']}" if definition.get("description")
                                              else ""), fmt["wrap"]),
        ("Modifiez les cellules orange de la feuille « Paramètres » (un tarif, un montant par catégorie ou par "
         "niveau, une part) : les montants de chaque règle (« Calcul »), le financement de chaque ESMS, son écart "
         "à la dotation actuelle (« Synthèse ») et ce que paie chaque règle (« Par règle ») se recalculent.",
         fmt["wrap"]),
        ("Les unités (heures, places, personnes, nuits, journées de présence, dotation actuelle) et les tarifs "
         "dérivés (centiles du coût horaire) sont des valeurs de l'entrepôt ; tel qu'écrit, le classeur donne le "
         "financement de marts.funding_scenario au centime.", fmt["wrap"]),
        (f"Sensibilité du scénario : ±{definition.get('sensitivity', 0.1) * 100:g} % sur un tarif donne "
         "marts.funding_sensitivity.", fmt["wrap"]),
    ]
    for r, (text, style) in enumerate(lines):
        ws.write(r, 0, text, style)
    ws.set_column(0, 0, 120)


def _read(con, scenario: str):
    from reports.common import query

    totals = query(con, "select finess_et, year, name, category, baseline_funding, scenario_funding, delta, "
                        "delta_share from marts.funding_scenario where scenario = ? order by finess_et, year",
                   [scenario])
    detail = query(con, "select finess_et, year, rule_no, rule, kind, unit, units, tariff, amount, note "
                        "from marts.funding_scenario_detail where scenario = ? order by finess_et, year, rule_no",
                   [scenario])
    levels = {tuple(r[:4]): r[4:] for r in query(
        con, "select finess_et, year, rule_no, need_level, persons, amount_per_person, amount "
             "from marts.funding_need_levels where scenario = ?", [scenario])}
    return totals, detail, levels


def write_simulator(con, scenario: str, file: str, definition: dict, path: Path) -> Path:
    """One scenario's workbook."""
    import xlsxwriter

    totals, detail, levels = _read(con, scenario)
    names = {t[0]: t[2] for t in totals}
    categories = {t[0]: t[3] for t in totals}
    inputs = inputs_of(definition, sorted({c for c in categories.values() if c}))
    rules = {r["no"]: r for r in definition["rules"]}
    workbook = xlsxwriter.Workbook(str(path))
    fmt = xf.formats(workbook)
    sheets = {title: workbook.add_worksheet(title) for title in (README, PARAMS, SUMMARY, BY_RULE, CALC)}
    by_key = _write_inputs(workbook, sheets[PARAMS], fmt, definition, inputs)
    blocks: dict[tuple, list] = {}
    for row in detail:
        blocks.setdefault((row[0], row[1]), []).append(row)
    lines = [(key, _calc_lines(rows, levels, categories, rules, by_key)) for key, rows in blocks.items()]
    spans = _write_calc(sheets[CALC], fmt, lines, names, categories)
    _write_summary(sheets[SUMMARY], fmt, totals, spans)
    _write_by_rule(sheets[BY_RULE], fmt, definition, detail, sum(len(x) for _, x in lines))
    _write_readme(sheets[README], fmt, definition, file)
    sheets[PARAMS].activate()
    workbook.close()
    return path


def build_simulators(warehouse: Path, out_dir: Path) -> Path:
    """`simulateur/<file stem>.xlsx` for each scenario of the warehouse; the folder."""
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    from reports.common import query

    with duckdb.connect(str(warehouse), read_only=True) as con:
        for scenario, file, definition in query(
                con, "select scenario, file, definition from marts.funding_scenarios order by file"):
            write_simulator(con, scenario, file, json.loads(definition), folder / f"{Path(file).stem}.xlsx")
    return folder
