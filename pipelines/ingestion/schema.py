"""The landing tables of data-contract.md section 2: canonical columns, French aliases, required flags.

This is the one place that knows which header means which column. Types and value rules live in
the dbt staging and validation models (dbt_project/models/staging, models/validation).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# how every row file of a landing table is written (the CSV, FEC, DSN and FHIR loaders alike): uncompressed
# (dictionary-encoded all the same: 11.9 s for 5 M rows against 15.5 s with snappy), without bloom filters (dbt's
# staging reads a row file whole: they were a twentieth of its writing), in the order of its rows
ROW_FILE = "format parquet, compression uncompressed, write_bloom_filter false, preserve_order true"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    pseudonymise: bool = False  # person ids: replaced by a keyed hash at ingestion
    professional: bool = False  # with pseudonymise: a professional id, its pseudonym prefixed `S` (pseudonym.py)
    year_only: bool = False  # dates of birth: only the year is ever stored
    # identifiers software often builds from the person's id (`PP-U000084-2023`): the row's clear person id in
    # them is replaced by its pseudonym at ingestion
    carries_person: bool = False


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


# The French headers users write, per column. Headers are compared folded (header_key): case, accents,
# punctuation, typographic apostrophes and the little words de/du/des/d'/l'/la/le/les/en/a/au/aux are
# ignored, so `Date de sortie`, `date_sortie` and `DATE  SORTIE` are one alias.
PERSON_ALIASES = ("usager_id", "id_usager", "identifiant_usager", "num_usager", "numero_usager", "n_usager",
                  "id_personne", "identifiant_personne", "personne_id", "beneficiaire_id",
                  "id_beneficiaire", "identifiant_beneficiaire", "n_dossier", "numero_dossier",
                  "id_patient", "patient_id")
PERSON = C("person_id", *PERSON_ALIASES, required=True, pseudonymise=True)
OPTIONAL_PERSON = Column(name=PERSON.name, required=False, aliases=PERSON.aliases, pseudonymise=True)
FINESS_ALIASES = ("finess", "n_finess", "no_finess", "numero_finess", "num_finess", "finess_et",
                  "finess_etablissement", "finess_geographique", "n_finess_etablissement", "code_finess",
                  "etablissement_finess", "finess_esms")
FINESS = C("finess_et", *FINESS_ALIASES, required=True)
PARTNER_ALIASES = ("partenaire_id", "id_partenaire", "code_partenaire", "n_partenaire", "identifiant_partenaire")
DEPARTMENT = C("department", "departement", "dept", "dep", "code_departement", "n_departement")
START = ("date_debut", "debut", "date_de_debut", "date_effet", "date_ouverture")
END = ("date_fin", "fin", "date_de_fin", "date_echeance", "date_cloture")
YEAR = ("annee", "exercice", "annee_exercice", "exercice_comptable", "an")

TABLES: dict[str, Table] = {t.name: t for t in [
    Table("establishments", (
        FINESS,
        C("name", "raison_sociale", "nom", "nom_etablissement", "libelle", "libelle_etablissement",
          "denomination", "etablissement", "nom_esms", required=True),
        C("category", "categorie", "categorie_finess", "categorie_etablissement", "type_esms", "type_etablissement",
          "code_categorie", "type", required=True),
        C("gestionnaire", "finess_ej", "organisme_gestionnaire", "finess_juridique", "n_finess_ej",
          "entite_juridique"),
        DEPARTMENT,
        C("authorized_places", "places", "capacite", "places_autorisees", "capacite_autorisee", "nb_places",
          "nombre_places", "capacite_totale"),
        C("days_open", "jours_ouverture", "nb_jours_ouverture", "nombre_jours_ouverture", "jours_ouvres",
          "jours_fonctionnement"),
        C("funder", "financeur", "autorite_tarification", "tarificateur", "financement"),
        C("siret", "n_siret", "siret_etablissement", "no_siret", "numero_siret"),
    ), names_allowed=True),
    Table("persons", (
        PERSON,
        C("birth_year", "annee_naissance", "an_naissance", "annee_de_naissance"),
        C("birth_date", "date_naissance", "ne_le", "nee_le", "date_de_naissance", year_only=True),
        C("sex", "sexe", "genre"),
        C("main_disability", "deficience_principale", "handicap_principal", "deficience", "type_handicap",
          "handicap", "type_deficience"),
        DEPARTMENT,
    )),
    Table("stays", (
        C("stay_id", "sejour_id", "id_sejour", "num_sejour", "n_sejour", "numero_sejour", "accompagnement_id",
          "id_accompagnement", "n_accompagnement", "numero_accompagnement", "id_admission", required=True,
          carries_person=True),
        PERSON,
        FINESS,
        C("start_date", "date_entree", "entree", "date_admission", "admission", "admis_le", "date_arrivee",
          *START, required=True),
        C("end_date", "date_sortie", "sortie", "sorti_le", "date_depart", *END),
        C("modality", "mode_accueil", "modalite", "modalite_accueil", "modalite_accompagnement",
          "mode_accompagnement", "type_accueil", required=True),
        C("exit_reason", "motif_sortie", "motif_fin", "orientation_sortie", "motif_depart"),
    )),
    Table("needs", (
        PERSON,
        C("assessed_on", "date_evaluation", "evalue_le", "date_bilan", "date_evaluation_besoins", "date",
          required=True),
        C("need_code", "code_besoin", "besoin", "code_besoin_serafin", "besoin_serafin", required=True),
        C("level", "niveau", "intensite", "niveau_besoin", "cotation"),
        C("source", "origine", "evaluateur", "source_evaluation"),
    )),
    Table("plans", (
        C("plan_id", "projet_id", "id_projet", "num_projet", "n_projet", "numero_projet", "id_pp",
          "projet_personnalise", required=True, carries_person=True),
        PERSON,
        C("finess_et", *FINESS_ALIASES),
        C("partner_id", *PARTNER_ALIASES),
        C("prestation_code", "code_prestation", "prestation", "code_prestation_serafin", "prestation_serafin",
          required=True),
        C("planned_hours_per_week", "heures_prevues_semaine", "heures_hebdo", "heures_par_semaine",
          "heures_prevues", "volume_hebdomadaire", "heures_semaine"),
        C("start_date", *START, required=True),
        C("end_date", *END),
        C("need_codes", "codes_besoins", "besoins", "besoins_couverts"),
        C("is_pag", "pag", "plan_accompagnement_global"),
        C("co_built", "co_construit", "coconstruit", "co_construction", "elabore_avec_usager"),
        C("signed_on", "date_signature", "signe_le", "signature"),
        C("reviewed_on", "date_revision", "revise_le", "date_reevaluation", "revision", "date_actualisation"),
    )),
    Table("activity", (
        C("event_id", "evenement_id", "id_evenement", "id_acte", "num_evenement", "n_evenement", "no_evenement",
          "numero_evenement", "n_acte", "id_intervention", "n_intervention", "id_rdv", required=True,
          carries_person=True),
        OPTIONAL_PERSON,
        FINESS,
        C("professional_id", "professionnel_id", "intervenant", "id_intervenant", "id_professionnel",
          "matricule", "matricule_intervenant", "code_intervenant", required=True, pseudonymise=True,
          professional=True),
        C("prestation_code", "code_prestation", "prestation", "code_prestation_serafin", "prestation_serafin",
          "code_acte", required=True),
        C("started_at", "start", "debut", "date_debut", "date_heure_debut", "heure_debut", "date_intervention",
          "date_acte", "date_heure", "date", required=True),
        C("ended_at", "end", "fin", "date_fin", "date_heure_fin", "heure_fin"),
        C("duration_min", "duree_min", "duree", "duree_minutes", "duree_mn", "temps", "temps_min"),
        C("setting", "lieu", "lieu_intervention", "lieu_realisation", "milieu"),
        C("partner_id", *PARTNER_ALIASES, "partenaire"),
        C("status", "statut", "etat", "statut_evenement"),
        C("need_code", "code_besoin", "besoin"),
        C("outside_plan", "hors_projet", "hors_projet_personnalise", "hors_pp"),
    )),
    Table("staff", (
        C("professional_id", "professionnel_id", "intervenant", "id_intervenant", "id_professionnel", "matricule",
          "code_intervenant", "id_salarie", "matricule_salarie", required=True, pseudonymise=True, professional=True),
        FINESS,
        C("year", *YEAR, required=True),
        C("profession", "metier", "emploi", "qualification", "fonction", "poste", required=True),
        C("fte", "etp", "equivalent_temps_plein", "etp_moyen", "etp_annuel"),
        C("annual_cost", "cout_annuel", "cout_annuel_charge", "cout", "cout_charge", "masse_salariale",
          "salaire_charge", "cout_total", required=True),
    )),
    Table("ledger", (
        FINESS,
        C("year", *YEAR, required=True),
        C("account", "compte", "numero_compte", "n_compte", "num_compte", "compte_pcg", "code_compte",
          required=True),
        C("label", "libelle", "intitule", "libelle_compte", "intitule_compte"),
        C("amount", "montant", "solde", "montant_euros", "realise", "montant_realise", required=True),
        C("section", "section_serafin", "affectation", "section_analytique"),
    )),
    Table("partners", (
        C("partner_id", *PARTNER_ALIASES, required=True),
        C("name", "nom", "raison_sociale", "nom_partenaire", "denomination", "libelle", required=True),
        C("kind", "type", "nature", "type_partenaire", "categorie", "secteur", required=True),
        C("finess", "n_finess", "numero_finess", "finess_et", "no_finess"),
        DEPARTMENT,
    ), names_allowed=True),
    Table("conventions", (
        C("convention_id", "id_convention", "num_convention", "n_convention", "numero_convention",
          "reference_convention", required=True),
        C("partner_id", *PARTNER_ALIASES, required=True),
        FINESS,
        C("start_date", "date_signature", *START, required=True),
        C("end_date", *END),
        C("kind", "type", "nature", "type_convention", "objet"),
        C("prestation_codes", "codes_prestations", "prestations", "prestations_concernees"),
    )),
    Table("orientations", (
        PERSON,
        C("department", "departement", "dept", "dep", "code_departement", "n_departement", "mdph",
          "departement_mdph", required=True),
        C("decision_date", "date_decision", "date_notification", "date_cdaph", "decision_le", "date_orientation",
          required=True),
        C("category", "categorie", "orientation", "type_orientation", "esms_oriente", "categorie_esms",
          "type_esms", "orientation_vers", required=True),
        C("status", "statut", "etat", "situation", "statut_orientation", required=True),
        C("finess_et", *FINESS_ALIASES, "finess_admission", "esms_admission"),
        C("admitted_on", "date_admission", "admis_le", "date_entree", "entree"),
    )),
    Table("population", (
        C("department", "departement", "dept", "dep", "code_departement", "n_departement", required=True),
        C("age_band", "tranche_age", "tranche_d_age", "classe_age", "age", "tranche", required=True),
        C("population", "effectif", "habitants", "nombre_habitants", "pop", "nombre", required=True),
        C("year", *YEAR, required=True),
    )),
]}

# header words that mark personal data: never loaded, whatever the table
PERSONAL_WORDS = {"nir", "ins", "nss", "secu", "nom", "prenom", "prenoms", "name", "firstname", "lastname",
                  "surname", "nomnaissance", "nomdenaissance", "nomusage", "nomdusage", "securitesociale",
                  "numerosecu", "insnir", "matriculeins"}


APOSTROPHES = "\u2019\u2018\u02bc\u00b4\u0060\u2032"
# French little words ignored in headers (whole words only): `date de sortie` is `date_sortie`
STOP_WORDS = {"d", "l", "de", "du", "des", "la", "le", "les", "en", "a", "au", "aux"}


def _ascii_words(header: str) -> list[str]:
    text = header.replace("\ufeff", "")
    for mark in APOSTROPHES:
        text = text.replace(mark, "'")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", text) if w]


def header_key(header: str) -> str:
    """Compare headers with case, accents, spaces, punctuation, apostrophes and little words ignored.

    `Date d’entrée`, `date_entree`, `DATE ENTREE` and `Date de l'entrée` all give `dateentree`.
    """
    return "".join(w for w in _ascii_words(header) if w not in STOP_WORDS)


def header_words(header: str) -> set[str]:
    return set(_ascii_words(header)) | {header_key(header)}


def looks_personal(header: str) -> bool:
    return bool(header_words(header) & PERSONAL_WORDS)


def header_score(table: Table):
    """A scorer of candidate header rows for `table` (formats.read_xlsx): how many of the table's
    columns the cells name, required ones counting double."""
    lookup: dict[str, Column] = {}
    for column in table.columns:
        for name in (column.name, *column.aliases):
            lookup.setdefault(header_key(name), column)

    def score(cells: list[str]) -> int:
        found = {lookup[k].name: lookup[k].required for k in map(header_key, cells) if k in lookup}
        return sum(2 if required else 1 for required in found.values())
    return score
