"""The landing tables of data-contract.md section 2: canonical columns, French aliases, required flags.

This is the one place that knows which header means which column. Types and value rules live in
the dbt staging and validation models (dbt_project/models/staging, models/intermediate/validation).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    pseudonymise: bool = False  # person ids: replaced by a keyed hash at ingestion
    year_only: bool = False  # dates of birth: only the year is ever stored


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    # headers that may legitimately hold a name (an ESMS or a partner), so never taken for personal data
    names_allowed: bool = False
    notes: str = field(default="")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def C(name: str, *aliases: str, required: bool = False, **kw: bool) -> Column:
    return Column(name=name, required=required, aliases=aliases, **kw)


PERSON = C("person_id", "usager_id", "id_usager", "identifiant_usager", "num_usager", "id_personne",
           "numero_usager", required=True, pseudonymise=True)
OPTIONAL_PERSON = Column(name=PERSON.name, required=False, aliases=PERSON.aliases, pseudonymise=True)
FINESS = C("finess_et", "finess", "n_finess", "no_finess", "numero_finess", "finess_etablissement", required=True)

TABLES: dict[str, Table] = {t.name: t for t in [
    Table("establishments", (
        C("finess_et", "finess", "n_finess", "no_finess", "numero_finess", "finess_etablissement", required=True),
        C("name", "raison_sociale", "nom", "nom_etablissement", "libelle", required=True),
        C("category", "categorie", "categorie_finess", "type_esms", required=True),
        C("gestionnaire", "finess_ej", "organisme_gestionnaire"),
        C("department", "departement", "dept"),
        C("authorized_places", "places", "capacite", "places_autorisees", "capacite_autorisee"),
        C("days_open", "jours_ouverture", "jours_d_ouverture", "nb_jours_ouverture"),
        C("funder", "financeur"),
    ), names_allowed=True),
    Table("persons", (
        PERSON,
        C("birth_year", "annee_naissance", "annee_de_naissance"),
        C("birth_date", "date_naissance", "date_de_naissance", year_only=True),
        C("sex", "sexe", "genre"),
        C("main_disability", "deficience_principale", "handicap_principal"),
        C("department", "departement", "dept"),
    )),
    Table("stays", (
        C("stay_id", "sejour_id", "id_sejour", "num_sejour", "accompagnement_id", required=True),
        PERSON,
        FINESS,
        C("start_date", "date_entree", "date_debut", "entree", "debut", required=True),
        C("end_date", "date_sortie", "date_fin", "sortie", "fin"),
        C("modality", "mode_accueil", "modalite", "mode_d_accueil", required=True),
        C("exit_reason", "motif_sortie"),
    )),
    Table("needs", (
        PERSON,
        C("assessed_on", "date_evaluation", "date_d_evaluation", "evalue_le", required=True),
        C("need_code", "code_besoin", "besoin", required=True),
        C("level", "niveau", "intensite"),
        C("source", "origine"),
    )),
    Table("plans", (
        C("plan_id", "projet_id", "id_projet", "num_projet", required=True),
        PERSON,
        C("finess_et", "finess", "n_finess", "numero_finess"),
        C("partner_id", "partenaire_id", "id_partenaire"),
        C("prestation_code", "code_prestation", "prestation", required=True),
        C("planned_hours_per_week", "heures_prevues_semaine", "heures_hebdo", "heures_par_semaine"),
        C("start_date", "date_debut", "debut", required=True),
        C("end_date", "date_fin", "fin"),
        C("need_codes", "codes_besoins", "besoins"),
        C("is_pag", "pag"),
        C("co_built", "co_construit", "coconstruit"),
        C("signed_on", "date_signature", "signe_le"),
        C("reviewed_on", "date_revision", "revise_le"),
    )),
    Table("activity", (
        C("event_id", "evenement_id", "id_evenement", "id_acte", "num_evenement", "n_evenement", "no_evenement",
          "numero_evenement", required=True),
        OPTIONAL_PERSON,
        FINESS,
        C("professional_id", "professionnel_id", "intervenant", "id_intervenant", "id_professionnel",
          required=True),
        C("prestation_code", "code_prestation", "prestation", required=True),
        C("started_at", "start", "debut", "date_debut", "date_heure_debut", required=True),
        C("ended_at", "end", "fin", "date_fin", "date_heure_fin"),
        C("duration_min", "duree_min", "duree", "duree_minutes"),
        C("setting", "lieu"),
        C("partner_id", "partenaire_id", "id_partenaire", "partenaire"),
        C("status", "statut"),
        C("need_code", "code_besoin"),
        C("outside_plan", "hors_projet"),
    )),
    Table("staff", (
        C("professional_id", "professionnel_id", "intervenant", "id_intervenant", "matricule", required=True),
        FINESS,
        C("year", "annee", "exercice", required=True),
        C("profession", "metier", "emploi", required=True),
        C("fte", "etp"),
        C("annual_cost", "cout_annuel", "cout_annuel_charge", "cout", required=True),
    )),
    Table("ledger", (
        FINESS,
        C("year", "exercice", "annee", required=True),
        C("account", "compte", "numero_compte", "n_compte", required=True),
        C("label", "libelle", "intitule"),
        C("amount", "montant", "solde", required=True),
        C("section", "section_serafin"),
    )),
    Table("partners", (
        C("partner_id", "partenaire_id", "id_partenaire", required=True),
        C("name", "nom", "raison_sociale", required=True),
        C("kind", "type", "nature", "type_partenaire", required=True),
        C("finess", "n_finess"),
        C("department", "departement", "dept"),
    ), names_allowed=True),
    Table("conventions", (
        C("convention_id", "id_convention", "num_convention", required=True),
        C("partner_id", "partenaire_id", "id_partenaire", required=True),
        FINESS,
        C("start_date", "date_debut", "debut", required=True),
        C("end_date", "date_fin", "fin"),
        C("kind", "type", "nature", "type_convention"),
        C("prestation_codes", "codes_prestations", "prestations"),
    )),
]}

# header words that mark personal data: never loaded, whatever the table
PERSONAL_WORDS = {"nir", "ins", "nss", "secu", "nom", "prenom", "prenoms", "name", "firstname", "lastname",
                  "surname", "nomnaissance", "nomdenaissance", "nomusage", "nomdusage", "securitesociale",
                  "numerosecu", "insnir", "matriculeins"}


def header_key(header: str) -> str:
    """Compare headers with case, accents, spaces, punctuation and elided articles ignored.

    `Date d'entrée`, `date_entree` and `DATE ENTREE` all give `dateentree`.
    """
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", "")).encode("ascii", "ignore").decode()
    text = text.lower().strip()
    text = re.sub(r"\b[dl]\s*['’`]\s*", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def header_words(header: str) -> set[str]:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    words = {w for w in re.split(r"[^a-z0-9]+", text) if w}
    return words | {header_key(header)}


def looks_personal(header: str) -> bool:
    return bool(header_words(header) & PERSONAL_WORDS)
