"""donnees.html: the state of the data before anyone presents a figure. Each check of the run (audit.data_quality,
written by pipelines/defs/quality.py) with its severity, its result, what it counted (numerator over denominator)
and a sample of what failed (never a person id), in two tables: the validation layer's row rules (landing rows set
aside per table and column) and the Great Expectations suites (volumes over time, distributions, coherence across
tables); our own template (GX's Data Docs load their styling from the internet). Then what the ingestion
quarantined, per file and reason (audit.ingestion_log, audit.rejected_rows)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import duckdb

from reports.common import block, data_table, number, page, query, status_badge, table_block
from reports.narrative import KeyFigure, key_figures

STATE = {(True, "error"): "Conforme", (True, "warn"): "Conforme", (False, "error"): "Échec (bloquant)",
         (False, "warn"): "Alerte"}
TABLES = {"core.activity": "Activité", "core.stays": "Séjours", "core.persons": "Personnes", "core.needs": "Besoins",
          "core.staff": "Personnel", "marts.cost_quality": "Comptes et temps"}
# the landing rows each table's validation reads (a row rule's table, raw.<table>)
LANDING = {"activity": "activité", "conventions": "conventions", "establishments": "établissements",
           "finess_capacities": "FINESS (capacités)", "finess_structures": "FINESS (structures)", "ledger": "comptes",
           "needs": "besoins", "orientations": "orientations", "partners": "partenaires", "persons": "personnes",
           "plans": "projets personnalisés", "population": "population", "staff": "personnel", "stays": "séjours"}
TABLES |= {f"raw.{t}": f"Fichiers : {label}" for t, label in LANDING.items()}
VALIDATION = "validation"  # the `expectation` of a row rule's result (pipelines/data_quality/)


def build_data_quality_page(warehouse: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        checks = query(con, """
            select check_id, table_name, label, severity, success, element_count, unexpected_count, sample,
                   checked_at, expectation
            from audit.data_quality order by success, severity, table_name, check_id""")
        files = query(con, """
            select file, source_table, rows_read, rows_loaded, rows_rejected, rows_unmapped
            from audit.ingestion_log order by rows_rejected desc, file""")
        reasons = query(con, """
            select source_table, regexp_replace(reason, '''[^'']*''', '…', 'g') as reason, count(*)
            from audit.rejected_rows group by all order by 3 desc limit 30""")
    body = [_summary(checks, files)]
    if not checks:
        body.append("<p>Les contrôles de qualité n'ont pas été exécutés pour cet entrepôt.</p>")
    else:
        body += _checks_sections(out_dir, checks)
    body.append("<h2>Ce que la lecture des fichiers a écarté</h2>")
    body.append(table_block(
        out_dir, "donnees-fichiers", "Lignes lues, chargées et écartées par fichier",
        [("Fichier", "text"), ("Table", "text"), ("Lignes lues", "int"), ("Chargées", "int"), ("Écartées", "int"),
         ("Événements FHIR sans code SERAFIN-PH", "int")], files))
    if reasons:
        body.append(table_block(out_dir, "donnees-motifs", "Motifs de rejet les plus fréquents",
                                [("Table", "text"), ("Motif", "text"), ("Lignes", "int")], reasons))
    path = out_dir / "donnees.html"
    path.write_text(page("Qualité des données", "".join(body), "",
                         "Avant de présenter un chiffre : l'état des données de l'exécution."), encoding="utf-8")
    return path


def _summary(checks: list, files: list) -> str:
    """The key figures: checks met (blocking failures, warnings), landing rows set aside."""
    failing = sum(not c[4] for c in checks)
    blocking = sum(not c[4] and c[3] == "error" for c in checks)
    read, rejected = sum(f[2] or 0 for f in files), sum(f[4] or 0 for f in files)
    return key_figures([
        KeyFigure("checks", "Contrôles de qualité conformes", f"{number(len(checks) - failing)} sur {number(len(checks))}",
                  f"{number(blocking)} bloquant(s) en échec, {number(failing - blocking)} alerte(s)",
                  "bad" if blocking else ("warn" if failing else "good")),
        KeyFigure("rejected", "Lignes écartées à la lecture", number(rejected),
                  f"sur {number(read)} lignes lues dans {number(len(files))} fichiers",
                  "warn" if rejected else "good")])


def _checks_sections(out_dir: Path, checks: list) -> list[str]:
    """The row rules, the Great Expectations suites, then a sample of each failed check."""
    failing = sum(not c[4] for c in checks)
    body = []
    rules = [c for c in checks if c[9] == VALIDATION]
    suites = [c for c in checks if c[9] != VALIDATION]
    body.append(f"<p>{number(len(checks))} contrôles le {checks[0][8]:%d/%m/%Y %H:%M} : {number(failing)} en "
                "échec ou en alerte. Chaque règle est contrôlée une fois : une règle de ligne par la validation "
                "(la ligne fautive est écartée, ou gardée et signalée), une règle d'ensemble par Great "
                "Expectations, "
                "dans l'entrepôt DuckDB. Gravité et seuils : <code>nomenclatures/data_quality_checks.csv</code>."
                "</p>")
    body.append("<h2>Règles de ligne (validation)</h2>")
    body.append(_checks_table(out_dir, "donnees-regles-lignes", "Règles de ligne : lignes écartées ou "
                              "signalées (gardées) par la validation, par table et colonne", rules,
                              ("Lignes validées", "Lignes écartées ou signalées")))
    body.append("<h2>Contrôles d'ensemble (Great Expectations)</h2>")
    body.append(_checks_table(out_dir, "donnees-controles", "Contrôles d'ensemble : volumes dans le temps, "
                              "distributions, cohérence entre tables", suites,
                              ("Unités contrôlées", "Unités en échec")))
    for c in checks:
        sample = json.loads(c[7] or "[]")
        if c[4] or not sample:
            continue
        headers = list(sample[0])
        body.append(f"<h3>{html.escape(c[2])} — {number(c[6])} sur {number(c[5] or 0)} en échec</h3>"
                    + data_table(f"Exemples ({c[0]}, sans identifiant de personne)",
                                 headers, [[r.get(h) or "" for h in headers] for r in sample]))
    return body


def _checks_table(out_dir: Path, name: str, caption: str, checks: list, counted: tuple[str, str]) -> str:
    """One row per check: id, table, French label, severity, result, denominator and numerator."""
    return table_block(
        out_dir, name, caption,
        [("Contrôle", "text"), ("Table", "text"), ("Attendu", "text"), ("Gravité", "text"), ("Résultat", "text"),
         (counted[0], "int"), (counted[1], "int")],
        [[c[0], TABLES.get(c[1], c[1]), c[2], "bloquant" if c[3] == "error" else "alerte",
          status_badge("met" if c[4] else ("off_track" if c[3] == "error" else "on_track"),
                       "Dans la tolérance" if c[4] and c[6] else STATE[(bool(c[4]), c[3])]),
          c[5] if c[5] is not None else "", c[6]] for c in checks], layout=block(fold=len(checks)))
