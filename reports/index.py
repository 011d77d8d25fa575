"""index.html: every report of the run, with the run date, the data period, the landing folder's files and the
warehouse they came from. Pages for restricted use (follow-up lists, person-level data) are never linked here."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import duckdb

from reports.common import data_table, number, page

PAGES = [("pilotage.html", "Tableau de bord de pilotage", "Objectifs, contributions des membres, activité, territoire"),
         ("qualite.html", "Rapport qualité", "Indicateurs de l'évaluation avec numérateur et dénominateur"),
         ("couts.html", "Coûts des prestations", "Coût complet de chaque prestation, rapproché des comptes"),
         ("cpom.html", "Dossier CPOM", "Trajectoire à cinq ans et modèle de financement cible"),
         ("cpom_annexe.xlsx", "Annexe financière du CPOM (Excel)", "Une feuille par partie de l'annexe"),
         ("pack_copil.pdf", "Dossier du comité de pilotage (PDF à imprimer)",
          "Pilotage, synthèse CPOM et l'essentiel des autres rapports, en A4"),
         ("territoire.html", "Diagnostic territorial", "Offre, demande et couverture ; la place de la coopération"),
         ("donnees.html", "Qualité des données", "Contrôles de l'exécution et lignes écartées, avant de présenter un chiffre")]


def build_index(warehouse: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        period = con.execute("select min(year), max(year) from marts.cost_reconciliation").fetchone()
        files = con.execute("select file, source_table, rows_read, rows_loaded, rows_rejected from "
                            "audit.ingestion_log order by file").fetchall()
    links = "".join(f'<li><a href="{name}">{html.escape(title)}</a> — {html.escape(text)}</li>'
                    for name, title, text in PAGES if (out_dir / name).exists())
    when = dt.datetime.now().strftime("%d/%m/%Y %H:%M")
    span = f"{period[0]}–{period[1]}" if period and period[0] else "aucun exercice"
    body = (f"<ul>{links}</ul><p>Exécution du {when} ; exercices {span} ; entrepôt "
            f"<code>{html.escape(str(warehouse))}</code>.</p>"
            + data_table("Fichiers lus", ["Fichier", "Table", "Lignes lues", "Chargées", "Rejetées"],
                         [[f, t, number(r), number(lo), number(rj)] for f, t, r, lo, rj in files],
                         numeric=(2, 3, 4)))
    path = out_dir / "index.html"
    path.write_text(page("Rapports SERAFIN-PH", body), encoding="utf-8")
    return path
