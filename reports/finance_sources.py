"""The section of couts.html that links the cost to the accounts and the payroll as the gestionnaire has them
(issue 37, finance-sources.md): per ESMS and year, the personnel accounts of the ledger (from the FEC, a trial balance
or ledger.csv) against the staff's cost (the method's personnel gap, step 2), which files built the ledger and the
staff, and what the FEC holds that no rule of comptabilite.yaml gave to an ESMS (audit.fec_unassigned).

Numbers come from marts.cost_reconciliation and the audit lists audit.finance_sources and audit.fec_unassigned;
this module lays them out.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from reports.common import block, query, table_block

SOURCE_LABELS = {"FEC": "FEC", "balance": "balance générale", "CSV": "fichier CSV", "XLSX": "classeur Excel",
                 "PARQUET": "fichier Parquet", "DSN": "DSN"}


REASONS = [  # audit.fec_unassigned's reason (pipelines/ingestion/fec_sql.py) in French
    (re.compile(r"^journal (.*) is not in comptabilite.yaml$"), "journal {0} absent de comptabilite.yaml"),
    (re.compile(r"^analytic code (.*) is not in comptabilite.yaml$"), "code analytique {0} absent de comptabilite.yaml"),
    (re.compile(r"^no analytic code in (.*)$"), "pas de code analytique dans la colonne {0}"),
    (re.compile(r"^account suffix (.*) is not in comptabilite.yaml$"),
     "suffixe de compte {0} absent de comptabilite.yaml"),
    (re.compile(r"^no entity of comptabilite.yaml .*$"), "fichier d'aucune entité de comptabilite.yaml"),
]


def _reason(text: str | None) -> str:
    for pattern, french in REASONS:
        match = pattern.match(text or "")
        if match:
            return french.format(*match.groups())
    return text or ""


def _sources(con) -> dict[tuple[str, int, str], str]:
    """(FINESS, year, ledger|staff) -> 'FEC (2 fichiers)' and the like."""
    out: dict[tuple[str, int, str], list[str]] = {}
    for finess, year, table, source, files in query(con, """
            select finess_et, year, table_name, source, files from audit.finance_sources
            order by finess_et, year, table_name, source"""):
        label = SOURCE_LABELS.get(source, source)
        out.setdefault((finess, year, table), []).append(f"{label} ({files} fichier{'s' if files > 1 else ''})")
    return {key: ", ".join(parts) for key, parts in out.items()}


def finance_sources_section(out_dir: Path, con, names: dict[str, str]) -> str:
    """The HTML of the section (a title, two tables with their Excel files); `names`: each ESMS's name by FINESS."""
    sources = _sources(con)
    rows = [(finess, names.get(finess, finess), year, personnel, staff, gap, gap / personnel if personnel else None,
             sources.get((finess, year, "ledger"), "aucune"), sources.get((finess, year, "staff"), "aucune"))
            for finess, year, personnel, staff, gap in query(con, """
                select finess_et, year, personnel_ledger, staff_cost, personnel_gap
                from marts.cost_reconciliation order by finess_et, year""")]
    out = ["<h2>Des comptes et de la paie au coût</h2>", table_block(
        out_dir, "couts-sources", "Comptes de personnel et coût du personnel, par ESMS et exercice",
        [("FINESS", "text"), ("ESMS", "text"), ("Exercice", "text"), ("Comptes de personnel (grand livre)", "euro2"),
         ("Coût du personnel (fichier du personnel)", "euro2"), ("Écart de personnel", "euro2"),
         ("Écart en part des comptes", "ratio"), ("Grand livre construit depuis", "text"),
         ("Personnel construit depuis", "text")], rows,
        layout=block(
            note="L'écart de personnel (comptes de personnel − coût du personnel, méthode de coût étape 2) montre ce que "
                 "le fichier du personnel ne porte pas : taxes sur les salaires, intérim, provisions de congés."))]
    unassigned = [(*r[:5], _reason(r[5]), *r[6:]) for r in query(con, """
        select file, year, account, label, code, reason, entries, amount
        from audit.fec_unassigned order by file, year, amount desc""")]
    if unassigned:
        total = sum(float(r[-1] or 0) for r in unassigned)
        out.append(table_block(
            out_dir, "couts-fec-non-affecte", "Écritures de classe 6 et 7 du FEC affectées à aucun ESMS",
            [("Fichier", "text"), ("Exercice", "text"), ("Compte", "text"), ("Libellé", "text"),
             ("Code", "text"), ("Raison", "text"), ("Écritures", "int"), ("Montant", "euro2")], unassigned,
            layout=block(
                note=f"Total non affecté : {total:,.2f} €".replace(",", "\u202f").replace(".", ",")
                     + ". Ces montants ne sont dans aucun coût : ajoutez le journal, le code analytique ou le suffixe "
                       "de compte à comptabilite.yaml pour les affecter à un ESMS.")))
    else:
        out.append('<p class="note">' + html.escape(
            "Aucune écriture de classe 6 ou 7 d'un FEC ou d'une balance sans ESMS.") + "</p>")
    return "".join(out)
